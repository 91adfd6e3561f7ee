"""Tag drift (R09, R19): licenses still tagged with a former name of their renamed company.

A sync never rewrites a tag, so after "Contoso GmbH" became "Contoso Group" its licenses keep
the tag "Contoso GmbH". The former names come from the change log (`company.renamed`
records, which retention keeps). The fix is a person's action: on that company's licenses
only, the tag of the former name is replaced by the current name; the same tag on other
companies' licenses stays. It is audited ("tag.drift_fix") with the licenses and their
versions after the fix, and can be undone while no later tag edit touched those licenses
(every tag edit bumps `License.version`). Nothing here checks roles or commits: callers pass
a scope the user has and commit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import delete, select, update

from mspweb import audit
from mspweb.extensions import db
from mspweb.models import AuditEntry, ChangeKind, ChangeRecord, Company, License, LicenseTag, Tag
from mspweb.scope import Scope
from mspweb.tags.service import MAX_TAG_LENGTH, insert_ignoring_duplicates, tag_id_for

#: Tags made before tag names were as long as company names were cut at this length.
OLD_TAG_LENGTH = 100


class DriftError(ValueError):
    """A drift fix or undo cannot be done; the message says why."""


@dataclass
class DriftRow:
    """One company and one former name that some of its licenses still carry."""

    company_id: int
    company_portal_id: str
    account_id: int
    current_name: str
    tag: str
    licenses: list[str] = field(default_factory=list)
    license_ids: list[int] = field(default_factory=list)

    def as_json(self) -> dict:
        """The row as `tags drift --json` prints it."""
        return {
            "company": self.company_portal_id,
            "current_name": self.current_name,
            "tag": self.tag,
            "licenses": self.licenses,
        }


def _former_names(scope: Scope, account_id: int | None, company_id: int | None) -> dict:
    """(company id) -> (portal id, account id, current name, {former names}) within scope."""
    query = (
        select(Company.id, Company.portal_id, Company.account_id, Company.name, ChangeRecord.old)
        .join(ChangeRecord, ChangeRecord.company_id == Company.id)
        .where(ChangeRecord.kind == ChangeKind.COMPANY_RENAMED.value, scope.covers(Company.id))
    )
    if account_id is not None:
        query = query.where(Company.account_id == account_id)
    if company_id is not None:
        query = query.where(Company.id == company_id)
    found: dict[int, tuple[str, int, str, set[str]]] = {}
    for cid, portal_id, account, name, old in db.session.execute(query):
        if not isinstance(old, str) or old == name:
            continue
        entry = found.setdefault(cid, (portal_id, account, name, set()))
        entry[3].update({old, old[:OLD_TAG_LENGTH]} - {name})
    return found


def drift_rows(
    scope: Scope, account_id: int | None = None, company_id: int | None = None
) -> list[DriftRow]:
    """Every (company, former name) whose licenses still carry it, most licenses first."""
    former = _former_names(scope, account_id, company_id)
    if not former:
        return []
    names = sorted({name for entry in former.values() for name in entry[3]})
    rows: dict[tuple[int, str], DriftRow] = {}
    companies = sorted(former)
    for start in range(0, len(companies), 500):
        batch = companies[start : start + 500]
        query = (
            select(License.company_id, License.id, License.public_key, Tag.name)
            .join(LicenseTag, LicenseTag.license_id == License.id)
            .join(Tag, Tag.id == LicenseTag.tag_id)
            .where(License.company_id.in_(batch), Tag.name.in_(names))
            .order_by(License.public_key)
        )
        for cid, license_id, key, tag in db.session.execute(query):
            portal_id, account, current, old_names = former[cid]
            if tag not in old_names:
                continue
            row = rows.setdefault((cid, tag), DriftRow(cid, portal_id, account, current, tag))
            row.licenses.append(key)
            row.license_ids.append(license_id)
    return sorted(rows.values(), key=lambda r: (-len(r.licenses), r.current_name, r.tag))


def drift_count(scope: Scope) -> tuple[int, int]:
    """(licenses, companies) with tag drift within scope: the Tags page's and dashboard's count."""
    rows = drift_rows(scope)
    return sum(len(row.licenses) for row in rows), len({row.company_id for row in rows})


def fix_drift(scope: Scope, rows: list[DriftRow], user) -> list[AuditEntry]:
    """Rename the tag on each row's licenses to the company's current name; one audit entry
    per row (with the licenses), returned for their undo links."""
    entries = []
    for row in rows:
        new_name = " ".join(row.current_name.split())[:MAX_TAG_LENGTH]
        old_id = db.session.scalar(select(Tag.id).where(Tag.name == row.tag))
        new_id = tag_id_for(new_name)
        ids = row.license_ids
        had_new = set(
            db.session.scalars(
                select(LicenseTag.license_id).where(
                    LicenseTag.tag_id == new_id, LicenseTag.license_id.in_(ids)
                )
            )
        )
        db.session.execute(
            delete(LicenseTag).where(LicenseTag.tag_id == old_id, LicenseTag.license_id.in_(ids))
        )
        added = [license_id for license_id in ids if license_id not in had_new]
        if added:
            db.session.execute(
                insert_ignoring_duplicates(
                    LicenseTag,
                    [{"license_id": i, "tag_id": new_id, "origin": "manual"} for i in added],
                )
            )
        versions = _bump(ids)
        keys = dict(zip(row.license_ids, row.licenses, strict=True))
        entries.append(
            audit.record(
                "tag.drift_fix",
                f"company {row.company_portal_id} {row.current_name}",
                details={
                    "company_id": row.company_id,
                    "account_id": row.account_id,
                    "from": row.tag,
                    "to": new_name,
                    "licenses": row.licenses,
                    "added": [keys[i] for i in added],
                    "versions": {str(i): v for i, v in versions.items()},
                },
                user=user,
            )
        )
    db.session.flush()
    return entries


def _bump(license_ids: list[int]) -> dict[int, int]:
    """Bump the licenses' versions (as every tag edit does); returns the new versions."""
    db.session.execute(
        update(License).where(License.id.in_(license_ids)).values(version=License.version + 1)
    )
    rows = db.session.execute(
        select(License.id, License.version).where(License.id.in_(license_ids))
    ).all()
    return {license_id: version for license_id, version in rows}


def undo_blocker(scope: Scope, entry: AuditEntry) -> str | None:
    """Why this drift fix cannot be undone (None: it can)."""
    details = entry.details or {}
    if entry.action != "tag.drift_fix" or entry.outcome != "ok":
        return "Only a tag drift fix can be undone here."
    if not scope.allows_company(details.get("company_id")):
        return "This fix is outside your part of the tree."
    versions = {int(i): v for i, v in (details.get("versions") or {}).items()}
    rows = db.session.execute(
        select(License.id, License.version).where(License.id.in_(list(versions)))
    ).all()
    now = {license_id: version for license_id, version in rows}
    if now != versions:
        return (
            "The tags of these licenses were edited after the fix (or the fix was already "
            "undone, or a license was removed): it can no longer be undone."
        )
    return None


def undo_fix(scope: Scope, entry: AuditEntry, user) -> int:
    """Undo a drift fix: the former tag back on its licenses, the current name's tag off the
    licenses that got it from the fix. Returns how many licenses changed."""
    blocker = undo_blocker(scope, entry)
    if blocker:
        raise DriftError(blocker)
    details = entry.details or {}
    ids = [int(i) for i in details["versions"]]
    found = db.session.execute(
        select(License.public_key, License.id).where(License.id.in_(ids))
    ).all()
    by_key = {key: license_id for key, license_id in found}
    old_id = tag_id_for(details["from"])
    new_id = db.session.scalar(select(Tag.id).where(Tag.name == details["to"]))
    added = [by_key[key] for key in details.get("added", []) if key in by_key]
    if new_id is not None and added:
        db.session.execute(
            delete(LicenseTag).where(LicenseTag.tag_id == new_id, LicenseTag.license_id.in_(added))
        )
    db.session.execute(
        insert_ignoring_duplicates(
            LicenseTag, [{"license_id": i, "tag_id": old_id, "origin": "manual"} for i in ids]
        )
    )
    _bump(ids)
    audit.record(
        "tag.drift_undo",
        entry.target,
        details={
            "undoes": entry.id,
            "company_id": details.get("company_id"),
            "from": details["from"],
            "to": details["to"],
            "licenses": details.get("licenses", []),
        },
        user=user,
    )
    return len(ids)


def group_by_account(rows: list[DriftRow]) -> dict[int, list[DriftRow]]:
    """The rows per account id (for the page's headings)."""
    grouped: dict[int, list[DriftRow]] = defaultdict(list)
    for row in rows:
        grouped[row.account_id].append(row)
    return grouped
