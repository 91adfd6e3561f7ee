"""History timelines: a license's changes from the syncs and people's tag edits, in one list.

The tag edits come from the audit log: single edits name the license in their target
(``license KEY``), bulk edits and tag-drift fixes list the license keys in their details.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, or_, select

from mspweb.changelog.queries import company_history, license_changes
from mspweb.extensions import db
from mspweb.models import AuditEntry, License
from mspweb.scope import Scope

#: Audit actions that edit the tags of licenses they list in `details["licenses"]`.
LISTING_ACTIONS = ("tag.bulk_add", "tag.bulk_remove", "tag.drift_fix", "tag.drift_undo")

#: Audit actions that edit one license's tags, named in the target.
SINGLE_ACTIONS = ("tag.add", "tag.remove")


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a history: a change record (`change`) or a person's tag edit (`audit`)."""

    at: datetime
    change: Any = None
    audit: AuditEntry | None = None


def tag_edits(license: License, limit: int = 200) -> list[AuditEntry]:
    """People's tag edits of `license`, newest first."""
    key = license.public_key
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(
                or_(
                    (AuditEntry.action.in_(SINGLE_ACTIONS))
                    & (AuditEntry.target == f"license {key}"),
                    (AuditEntry.action.in_(LISTING_ACTIONS))
                    & cast(AuditEntry.details, Text).contains(f'"{key}"', autoescape=True),
                ),
                AuditEntry.outcome == "ok",
            )
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        )
    )


def license_timeline(scope: Scope, license: License, limit: int = 200) -> list[TimelineEntry]:
    """The license's changes and tag edits, newest first (at most `limit`)."""
    entries = [
        TimelineEntry(row[0].created_at, change=row) for row in license_changes(scope, license)
    ]
    entries += [TimelineEntry(entry.at, audit=entry) for entry in tag_edits(license)]
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]


def tag_edit_words(entry: AuditEntry) -> str:
    """A person's tag edit in words."""
    details = entry.details or {}
    tag, old, new = details.get("tag"), details.get("from"), details.get("to")
    return {
        "tag.add": f"Tag “{tag}” added",
        "tag.remove": f"Tag “{tag}” removed",
        "tag.bulk_add": f"Tag “{tag}” added (bulk edit)",
        "tag.bulk_remove": f"Tag “{tag}” removed (bulk edit)",
        "tag.drift_fix": f"Tag “{old}” renamed to “{new}” (tag drift fix)",
        "tag.drift_undo": f"Tag drift fix undone: “{new}” back to “{old}”",
        "customer.setup": f"Set up: login {details.get('user')}, group “{details.get('group')}”",
        "customer.skip_setup": "Setup skipped",
    }.get(entry.action, entry.action)


#: Audit actions about a customer's setup (R15, R17), naming it in `details["company_id"]`.
SETUP_ACTIONS = ("customer.setup", "customer.skip_setup")


def setup_events(company_id: int, limit: int = 50) -> list[AuditEntry]:
    """The customer's setup (or skipped setup) from the audit log, newest first."""
    candidates = db.session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.action.in_(SETUP_ACTIONS),
            AuditEntry.outcome == "ok",
            cast(AuditEntry.details, Text).contains(f'"company_id": {company_id}', autoescape=True),
        )
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return [entry for entry in candidates if (entry.details or {}).get("company_id") == company_id]


def company_timeline(scope: Scope, company_id: int, limit: int = 200) -> list[TimelineEntry]:
    """The company's changes, its licenses' changes and its setup, newest first."""
    entries = [
        TimelineEntry(row[0].created_at, change=row)
        for row in company_history(scope, company_id, limit)
    ]
    entries += [TimelineEntry(entry.at, audit=entry) for entry in setup_events(company_id)]
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]
