"""Editing tags by hand (R09, R19): add and remove on licenses, in bulk, rename and delete.

Edits are changes to a set (add this tag, remove that one), never "replace the tags with this
list", so two people editing the same license's tags at once both keep their edits. Each edit
bumps `License.version` first (which also serialises concurrent editors of one license); when
the version the editor saw is older, the result says so and the caller shows the current tags.

Nothing here checks who may edit what: callers pass licenses and tags they have already found
within the user's scope (`mspweb.licenses.lookups`). Nothing here commits.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    CursorResult,
    Executable,
    Result,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mspweb import audit
from mspweb.extensions import db
from mspweb.models import License, LicenseTag, Tag
from mspweb.models.licenses import TAG_NAME_LENGTH

#: Longest tag name (the `tag.name` column): as long as a company name.
MAX_TAG_LENGTH = TAG_NAME_LENGTH

#: Unicode categories refused in tag names: controls, format and private-use characters.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


class TagError(ValueError):
    """A tag edit cannot be done as asked; the message says why, in words a person can act on."""


@dataclass(frozen=True)
class TagEdit:
    """The outcome of an edit on one license: whether it changed anything, and whether the
    editor was looking at an older version (someone else edited meanwhile)."""

    changed: bool
    stale: bool
    version: int


def clean_tag_name(raw: str | None) -> str:
    """A valid tag name from user input: trimmed, inner spaces collapsed, 1 to MAX_TAG_LENGTH
    characters (a company name's length), no control characters. Raises `TagError` otherwise."""
    name = " ".join((raw or "").split())
    if not name:
        raise TagError("Enter a tag name.")
    if len(name) > MAX_TAG_LENGTH:
        raise TagError(f"A tag name has at most {MAX_TAG_LENGTH} characters ({len(name)} given).")
    if any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in name):
        raise TagError("A tag name cannot contain control or invisible formatting characters.")
    return name


def tag_id_for(name: str) -> int:
    """The id of the tag called `name`, creating it (safely against a concurrent creator)."""
    tag_id = db.session.scalar(select(Tag.id).where(Tag.name == name))
    if tag_id is not None:
        return tag_id
    db.session.execute(insert_ignoring_duplicates(Tag, [{"name": name}]))
    return db.session.scalars(select(Tag.id).where(Tag.name == name)).one()


def add_tag(license: License, name: str, user, seen_version: int | None = None) -> TagEdit:
    """Put the tag `name` on `license` (a no-op when it is there already)."""
    name = clean_tag_name(name)
    version, stale = _bump(license.id, seen_version)
    tag_id = tag_id_for(name)
    result = db.session.execute(
        insert_ignoring_duplicates(LicenseTag, [{"license_id": license.id, "tag_id": tag_id}])
    )
    changed = bool(_rowcount(result))
    audit.record("tag.add", f"license {license.public_key}", details={"tag": name}, user=user)
    return TagEdit(changed, stale, version)


def remove_tag(license: License, tag: Tag, user, seen_version: int | None = None) -> TagEdit:
    """Take the tag off `license` (a no-op when someone else already did)."""
    version, stale = _bump(license.id, seen_version)
    result = db.session.execute(
        delete(LicenseTag).where(LicenseTag.license_id == license.id, LicenseTag.tag_id == tag.id)
    )
    audit.record(
        "tag.remove", f"license {license.public_key}", details={"tag": tag.name}, user=user
    )
    return TagEdit(bool(_rowcount(result)), stale, version)


def bulk_tag(license_ids: Iterable[int], name: str, action: str, user) -> int:
    """Add (`action` "add") or remove ("remove") the tag `name` on many licenses at once.

    Returns how many licenses changed.
    """
    ids = sorted(set(license_ids))
    name = clean_tag_name(name)
    if action not in ("add", "remove"):
        raise TagError("Choose whether to add or remove the tag.")
    if not ids:
        raise TagError("Select at least one license first.")
    if action == "add":
        tag_id: int | None = tag_id_for(name)
        have = set(
            db.session.scalars(
                select(LicenseTag.license_id).where(
                    LicenseTag.tag_id == tag_id, LicenseTag.license_id.in_(ids)
                )
            )
        )
        targets = [license_id for license_id in ids if license_id not in have]
        if targets:
            db.session.execute(
                insert_ignoring_duplicates(
                    LicenseTag,
                    [{"license_id": license_id, "tag_id": tag_id} for license_id in targets],
                )
            )
    else:
        tag_id = db.session.scalar(select(Tag.id).where(Tag.name == name))
        targets = (
            []
            if tag_id is None
            else list(
                db.session.scalars(
                    select(LicenseTag.license_id).where(
                        LicenseTag.tag_id == tag_id, LicenseTag.license_id.in_(ids)
                    )
                )
            )
        )
        if targets:
            db.session.execute(
                delete(LicenseTag).where(
                    LicenseTag.tag_id == tag_id, LicenseTag.license_id.in_(targets)
                )
            )
    if targets:
        db.session.execute(
            update(License).where(License.id.in_(targets)).values(version=License.version + 1)
        )
    keys = (
        sorted(db.session.scalars(select(License.public_key).where(License.id.in_(targets))))
        if targets
        else []
    )
    audit.record(
        f"tag.bulk_{action}",
        f"{len(targets)} licenses",
        # the keys let each license's History show the edit (issue 11)
        details={"tag": name, "selected": len(ids), "changed": len(targets), "licenses": keys},
        user=user,
    )
    return len(targets)


def rename_tag(tag: Tag, new_name: str, user) -> tuple[int, bool]:
    """Rename `tag` on every license (R09). Renaming to an existing tag's name merges the two.

    Returns (licenses carrying the tag afterwards from this rename, whether it merged).
    """
    new_name = clean_tag_name(new_name)
    old_name = tag.name
    licenses = select(LicenseTag.license_id).where(LicenseTag.tag_id == tag.id)
    db.session.execute(
        update(License).where(License.id.in_(licenses)).values(version=License.version + 1)
    )
    count = db.session.scalar(select(func.count()).select_from(licenses.subquery())) or 0
    other = db.session.scalar(select(Tag.id).where(Tag.name == new_name, Tag.id != tag.id))
    if other is None:
        tag.name = new_name
        db.session.flush()
    else:
        already = select(LicenseTag.license_id).where(LicenseTag.tag_id == other)
        db.session.execute(
            insert(LicenseTag).from_select(
                ["license_id", "tag_id", "origin"],
                select(LicenseTag.license_id, literal(other), literal("manual")).where(
                    LicenseTag.tag_id == tag.id, LicenseTag.license_id.not_in(already)
                ),
            )
        )
        db.session.execute(delete(LicenseTag).where(LicenseTag.tag_id == tag.id))
        db.session.execute(delete(Tag).where(Tag.id == tag.id))
    audit.record(
        "tag.rename",
        f"tag {old_name}",
        details={"from": old_name, "to": new_name, "licenses": count, "merged": other is not None},
        user=user,
    )
    return count, other is not None


def delete_tag(tag: Tag, user) -> int:
    """Delete `tag` from every license and from the list of tags; returns how many it was on."""
    licenses = select(LicenseTag.license_id).where(LicenseTag.tag_id == tag.id)
    count = db.session.scalar(select(func.count()).select_from(licenses.subquery())) or 0
    db.session.execute(
        update(License).where(License.id.in_(licenses)).values(version=License.version + 1)
    )
    db.session.execute(delete(LicenseTag).where(LicenseTag.tag_id == tag.id))
    db.session.execute(delete(Tag).where(Tag.id == tag.id))
    audit.record("tag.delete", f"tag {tag.name}", details={"licenses": count}, user=user)
    return count


def _bump(license_id: int, seen_version: int | None) -> tuple[int, bool]:
    """Bump the license's version (taking its row lock); return it and whether `seen` was old."""
    version = db.session.execute(
        update(License)
        .where(License.id == license_id)
        .values(version=License.version + 1)
        .returning(License.version)
    ).scalar_one_or_none()
    if version is None:
        raise TagError("This license no longer exists: it was removed by a synchronization.")
    return version, seen_version is not None and seen_version != version - 1


def insert_ignoring_duplicates(
    model: type[Tag] | type[LicenseTag], rows: list[dict[str, Any]]
) -> Executable:
    """INSERT that skips rows violating a unique key (PostgreSQL and SQLite)."""
    if db.engine.dialect.name == "postgresql":
        return postgresql_insert(model).values(rows).on_conflict_do_nothing()
    return sqlite_insert(model).values(rows).on_conflict_do_nothing()


def _rowcount(result: Result[Any]) -> int:
    """How many rows a DML statement touched (its result is a CursorResult)."""
    return result.rowcount if isinstance(result, CursorResult) else 0
