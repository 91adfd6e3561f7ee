"""Tag names confined (issue 15, finding 7): an operator's rename never tells whether a name
exists outside its subtree. Renaming onto a name only other subtrees use answers exactly as
renaming onto a fresh name; merging into a tag the operator can see still says so."""

from __future__ import annotations

from tests.conftest import login, make_user
from tests.licenses_world import build_world


def _operator(app, world):
    make_user("ops@alpha.example", "operator-pass-1", "operator", world.companies["alpha"])
    client = app.test_client()
    assert login(client, "ops@alpha.example", "operator-pass-1").status_code == 302
    return client


def _own_tag(client, world, name: str) -> int:
    from sqlalchemy import select

    from mspweb.extensions import db
    from mspweb.models import Tag

    license = world.licenses["CON-003"]
    assert client.post(f"/licenses/{license.id}/tags", data={"name": name}).status_code == 302
    db.session.rollback()
    return db.session.scalar(select(Tag.id).where(Tag.name == name))


def _rename(client, tag_id: int, name: str) -> str:
    response = client.post(
        f"/tags/{tag_id}/rename", data={"name": name}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200, response.text
    return response.text


def test_finding7_renaming_onto_a_name_outside_the_subtree_reveals_nothing(app, client):
    world = build_world()
    operator = _operator(app, world)
    fresh = _rename(operator, _own_tag(operator, world, "first"), "Brand new name")
    outside = _rename(operator, _own_tag(operator, world, "second"), "Fabrikam AG")
    assert "merged" not in outside
    assert "renamed to “Fabrikam AG” on 1 licenses" in outside
    assert "renamed to “Brand new name” on 1 licenses" in fresh


def test_merging_into_a_tag_the_operator_sees_still_says_so(app, client):
    world = build_world()
    operator = _operator(app, world)
    text = _rename(operator, _own_tag(operator, world, "third"), "Contoso Ltd")
    assert "merged into the existing tag" in text
