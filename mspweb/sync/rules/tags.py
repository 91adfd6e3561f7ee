"""Tags on new licenses (R06, R19): a newly seen license is tagged once with its company's
name; tags are never touched again by a sync (renames leave them as they were)."""

from __future__ import annotations

from sqlalchemy import select

from mspweb.models import LicenseTag, Tag
from mspweb.models.licenses import TAG_NAME_LENGTH  # tag.name: as long as a company name
from mspweb.sync.bulk import batches
from mspweb.sync.rules.state import ApplyState

__all__ = ["TAG_NAME_LENGTH", "tag_ids_for", "tag_new_licenses"]

tags = LicenseTag.__table__
tag_names = Tag.__table__


def _tag_ids(state: ApplyState, names: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for batch in batches(names, 500):
        found.update(
            (name, tag_id)
            for tag_id, name in state.conn.execute(
                select(tag_names.c.id, tag_names.c.name).where(tag_names.c.name.in_(batch))
            )
        )
    return found


def tag_ids_for(state: ApplyState, names: list[str]) -> dict[str, int]:
    """The ids of the tags named `names`, created where missing."""
    tag_ids = _tag_ids(state, names)
    missing = [name for name in names if name not in tag_ids]
    if missing:
        state.writer.insert(
            tag_names, ("name",), [(name,) for name in missing], {"created_at": state.now}
        )
        tag_ids.update(_tag_ids(state, missing))
    return tag_ids


def tag_new_licenses(state: ApplyState) -> None:
    """Tag each newly seen license with its company's name, once (R06); those written early
    (:mod:`.streaming`) were tagged then."""
    new = [pair for pair in state.new_license_ids if pair[0] not in state.streamed_ids]
    if not new:
        return
    wanted_names = {
        company_id: state.company_names[company_id][:TAG_NAME_LENGTH]
        for company_id in {company_id for _, company_id in new}
    }
    tag_ids = tag_ids_for(state, sorted(set(wanted_names.values())))
    state.writer.insert(
        tags,
        ("license_id", "tag_id"),
        sorted((license_id, tag_ids[wanted_names[company_id]]) for license_id, company_id in new),
        {"origin": "import", "created_at": state.now},
    )
