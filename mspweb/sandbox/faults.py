"""Fault rules: make chosen portal calls fail in chosen ways.

A rule is a JSON object (the body of ``POST /_sandbox/faults``, or a ``--fault`` option)::

    {"kind": "status" | "slow" | "non_json" | "truncated" | "wrong_shape" | "reset",
     "status": 429 | 500 | 502 | 503,  # kind "status" only (any 4xx/5xx is accepted)
     "retry_after": 1,        # seconds, sent as Retry-After (default 1 for 429, else none)
     "delay": 2.0,            # kind "slow": seconds to wait before answering normally
     "path": "Search/Licenses",  # optional: matches calls whose path ends with it
     "portal": "msp" | "business" | null,  # optional: null matches both portals
     "count": 3,              # how many times it fires; null: until the faults are cleared
     "after": 0,              # let the first K matching calls through untouched
     "last_page_only": false} # match only calls whose answer is the last page of a list

Kinds: ``status`` answers that status with an error body (503: code 99, subCode 2
"maintenance"); ``slow`` delays the real answer; ``non_json`` answers 200 with an HTML body;
``truncated`` announces the full Content-Length, sends half the body and closes the connection;
``wrong_shape`` answers 200 with JSON of the wrong shape; ``reset`` drops the connection (RST)
without answering. The first rule that matches a call fires.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, fields

KINDS = ("status", "slow", "non_json", "truncated", "wrong_shape", "reset")
PORTALS = ("msp", "business")


class FaultRuleError(ValueError):
    """A fault rule that cannot be understood; the message says why."""


@dataclass
class FaultRule:
    """One fault rule (see the module docstring for the meaning of each field)."""

    kind: str
    status: int | None = None
    retry_after: int | None = None
    delay: float = 0.0
    path: str | None = None
    portal: str | None = None
    count: int | None = None
    after: int = 0
    last_page_only: bool = False
    id: int = 0
    seen: int = 0
    fired: int = 0

    @classmethod
    def from_dict(cls, spec: dict) -> FaultRule:
        """Validate ``spec`` and build a rule; raises :class:`FaultRuleError`."""
        known = {f.name for f in fields(cls)} - {"id", "seen", "fired"}
        unknown = set(spec) - known
        if unknown:
            raise FaultRuleError(f"unknown fault rule fields: {', '.join(sorted(unknown))}")
        try:
            rule = cls(**spec)
        except TypeError as error:
            raise FaultRuleError(str(error)) from None
        if rule.kind not in KINDS:
            raise FaultRuleError(f"kind must be one of {', '.join(KINDS)}")
        if rule.kind == "status" and not (
            isinstance(rule.status, int) and 400 <= rule.status <= 599
        ):
            raise FaultRuleError("kind 'status' needs a status between 400 and 599")
        if rule.portal not in (None, *PORTALS):
            raise FaultRuleError("portal must be 'msp', 'business' or null")
        if rule.count is not None and (not isinstance(rule.count, int) or rule.count < 1):
            raise FaultRuleError("count must be a positive integer or null")
        if not isinstance(rule.after, int) or rule.after < 0:
            raise FaultRuleError("after must be an integer >= 0")
        if not isinstance(rule.delay, int | float) or rule.delay < 0:
            raise FaultRuleError("delay must be a number >= 0")
        if rule.path is not None:
            rule.path = rule.path.strip("/")
        if rule.kind == "status" and rule.status == 429 and rule.retry_after is None:
            rule.retry_after = 1
        return rule

    def matches(self, portal: str, path: str, last_page: bool | None) -> bool:
        """Whether this rule applies to a call (before counting ``after`` and ``count``)."""
        if self.portal is not None and self.portal != portal:
            return False
        if self.path and not path.strip("/").endswith(self.path):
            return False
        return not self.last_page_only or last_page is True

    def to_dict(self) -> dict:
        """The rule as JSON, with its id and how often it matched and fired."""
        return asdict(self)


class FaultBook:
    """The active fault rules, in the order they were added."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._next_id = 1
        self._lock = threading.Lock()

    def add(self, spec: dict) -> FaultRule:
        """Validate and add a rule; returns it (with its id)."""
        rule = FaultRule.from_dict(dict(spec))
        with self._lock:
            rule.id = self._next_id
            self._next_id += 1
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[FaultRule]:
        """The rules still active."""
        with self._lock:
            return list(self._rules)

    def pick(self, portal: str, path: str, last_page: bool | None) -> FaultRule | None:
        """The rule that fires for this call, if any; counts the call against the rules."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(portal, path, last_page):
                    continue
                rule.seen += 1
                if rule.seen <= rule.after:
                    continue
                rule.fired += 1
                if rule.count is not None and rule.fired >= rule.count:
                    self._rules.remove(rule)
                return rule
        return None


def parse_fault_option(text: str) -> dict:
    """Parse a ``--fault`` option: JSON, or ``kind=status,status=503,path=Search/Licenses``."""
    text = text.strip()
    if text.startswith("{"):
        return json.loads(text)
    spec: dict = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, raw = part.partition("=")
        if not _:
            raise FaultRuleError(f"expected name=value, got {part!r}")
        try:
            spec[name.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            spec[name.strip()] = raw.strip()
    return spec
