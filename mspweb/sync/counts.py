"""What one sync saw and changed: the counts a run ends with (the SyncRun's columns)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(slots=True)
class SyncCounts:
    """What one sync saw and changed (the SyncRun's columns of the same names)."""

    companies_seen: int = 0
    companies_added: int = 0
    companies_renamed: int = 0
    companies_unlinked: int = 0
    licenses_seen: int = 0
    licenses_added: int = 0
    licenses_changed: int = 0
    licenses_removed: int = 0
    rows_written: int = 0
    portal_calls: int = 0
    portal_retries: int = 0
    portal_wait_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """The counts as a plain dict."""
        return asdict(self)
