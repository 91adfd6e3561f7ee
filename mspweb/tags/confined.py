"""An operator's rename and delete of a tag that is also on licenses outside its subtree.

Tag names are global, so a tag an operator sees may also sit on other customers' licenses.
Refusing such a tag ("shared: only an administrator can change it") told the operator that the
name exists elsewhere (issue 15, finding 7). Instead the edit applies to the licenses of the
operator's subtree only: rename moves them to the tag of the new name, delete takes the tag off
them; the licenses outside keep the tag as it was. The answer is the same as for a tag that is
wholly inside. Nothing here commits.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update

from mspweb import audit
from mspweb.extensions import db
from mspweb.models import License, LicenseTag, Tag
from mspweb.scope import Scope
from mspweb.tags.service import (
    clean_tag_name,
    delete_tag,
    insert_ignoring_duplicates,
    rename_tag,
    tag_id_for,
)


def name_in_scope(name: str, scope: Scope) -> bool:
    """True when `scope` sees a tag named `name` (an unrestricted scope: any tag)."""
    if scope.is_unrestricted:
        return db.session.scalar(select(Tag.id).where(Tag.name == clean_tag_name(name))) is not None
    visible = (
        select(Tag.id)
        .join(LicenseTag, LicenseTag.tag_id == Tag.id)
        .join(License, License.id == LicenseTag.license_id)
        .where(Tag.name == clean_tag_name(name), scope.covers(License.company_id))
        .limit(1)
    )
    return db.session.scalar(visible) is not None


def rename_as(tag: Tag, outside: bool, new_name: str, user, scope: Scope) -> tuple[int, bool]:
    """Rename `tag` as `user` may (the Tags page and the API): on every license, or, for a tag
    that is also `outside` the user's scope, on the scope's licenses only. Returns (licenses,
    whether it merged into a tag the user can see): a merge into a tag the user cannot see
    answers as a fresh name would."""
    seen = name_in_scope(new_name, scope)
    if outside:
        return rename_tag_within(tag, new_name, user, scope), seen
    count, merged = rename_tag(tag, new_name, user)
    return count, merged and seen


def delete_as(tag: Tag, outside: bool, user, scope: Scope) -> int:
    """Delete `tag` as `user` may: from every license, or (a tag also `outside` the user's
    scope) from the scope's licenses only. Returns how many licenses lost it."""
    return delete_tag_within(tag, user, scope) if outside else delete_tag(tag, user)


def _licenses_within(tag: Tag, scope: Scope) -> list[int]:
    """The ids of the licenses in `scope` that carry `tag`, bumping their versions."""
    ids = sorted(
        db.session.scalars(
            select(LicenseTag.license_id)
            .join(License, License.id == LicenseTag.license_id)
            .where(LicenseTag.tag_id == tag.id, scope.covers(License.company_id))
        )
    )
    if ids:
        db.session.execute(
            update(License).where(License.id.in_(ids)).values(version=License.version + 1)
        )
    return ids


def rename_tag_within(tag: Tag, new_name: str, user, scope: Scope) -> int:
    """Move `scope`'s licenses from `tag` to the tag called `new_name` (created if needed);
    returns how many licenses now carry the new name through this rename."""
    new_name = clean_tag_name(new_name)
    ids = _licenses_within(tag, scope)
    target = tag_id_for(new_name)
    if ids and target != tag.id:
        db.session.execute(
            insert_ignoring_duplicates(
                LicenseTag, [{"license_id": license_id, "tag_id": target} for license_id in ids]
            )
        )
        db.session.execute(
            delete(LicenseTag).where(LicenseTag.tag_id == tag.id, LicenseTag.license_id.in_(ids))
        )
    audit.record(
        "tag.rename",
        f"tag {tag.name}",
        details={"from": tag.name, "to": new_name, "licenses": len(ids), "within_subtree": True},
        user=user,
    )
    return len(ids)


def delete_tag_within(tag: Tag, user, scope: Scope) -> int:
    """Take `tag` off `scope`'s licenses (the tag stays on the others); returns how many."""
    ids = _licenses_within(tag, scope)
    if ids:
        db.session.execute(
            delete(LicenseTag).where(LicenseTag.tag_id == tag.id, LicenseTag.license_id.in_(ids))
        )
    audit.record(
        "tag.delete",
        f"tag {tag.name}",
        details={"licenses": len(ids), "within_subtree": True},
        user=user,
    )
    return len(ids)
