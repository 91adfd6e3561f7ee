"""What the apply steps share: the snapshot, the ids found or made so far, the counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection

from mspweb.sync.bulk import Writer
from mspweb.sync.counts import SyncCounts
from mspweb.sync.listener import ApplyListener
from mspweb.sync.snapshot import Snapshot

MSP, BUSINESS = "msp", "business"


class LicenseBrief(NamedTuple):
    """An existing license in brief: enough to tell whether the portal says anything new."""

    id: int
    company_id: int
    source: str
    digest: str | None


@dataclass(slots=True)
class ExistingRows:
    """The account's licenses in brief, keyed by public key.

    Loaded in one light query (possibly while the portals are read); full rows and units are
    loaded only for the licenses whose digest differs from the portal's.
    """

    licenses: dict[str, LicenseBrief]


@dataclass(slots=True)
class ApplyState:
    """One apply of one snapshot to one account, as the steps fill it in."""

    conn: Connection
    writer: Writer
    account_id: int
    snapshot: Snapshot
    now: datetime
    new_setup_state: str
    existing: ExistingRows
    counts: SyncCounts
    listener: ApplyListener
    company_ids: dict[tuple[str, str], int] = field(default_factory=dict)  # (source, portal id)
    company_names: dict[int, str] = field(default_factory=dict)
    present: set[int] = field(default_factory=set)  # companies in this snapshot
    root_company_id: int | None = None
    business_company_id: int | None = None
    site_ids: dict[str, int] = field(default_factory=dict)
    license_ids: dict[str, int] = field(default_factory=dict)
    new_license_ids: list[tuple[int, int]] = field(default_factory=list)  # (id, company id)
    changed_license_ids: set[int] = field(default_factory=set)  # existing, digest changed
    #: Written while the listing was still being read (see :mod:`.streaming`): new licenses
    #: with their units and tags, and the companies of the tree as first read.
    streamed_keys: set[str] = field(default_factory=set)
    streamed_ids: set[int] = field(default_factory=set)
    tree_inserted: bool = False
    stream_company_names: dict[str, str] = field(default_factory=dict)  # portal id -> name
    stream_pool_ids: dict[str, int] = field(default_factory=dict)  # pool key -> id
