"""Tag names confined (issue 15, finding 7): an operator's rename never tells whether a name
exists outside its subtree. Renaming onto a name only other subtrees use answers exactly as
renaming onto a fresh name; merging into a tag the operator can see still says so. A tag that
is also on licenses outside the subtree looks like any other (no "shared" mark, no refusal):
the operator's rename or delete of it changes the subtree's licenses only."""

from __future__ import annotations

from tests.conftest import login, make_user
from tests.licenses_world import build_world, tag_names_of


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


def test_finding7_a_tag_also_used_outside_looks_like_any_other_tag(app, client):
    world = build_world()
    operator = _operator(app, world)
    page = operator.get("/tags").text
    assert "Shared tag" not in page and "outside your part" not in page
    for name in ("vip", "Contoso Ltd"):  # vip is also on Fabrikam's licenses, Contoso Ltd not
        tag_id = world.tags[name].id
        assert f"/tags/{tag_id}/rename" in page and f"/tags/{tag_id}/delete" in page
        assert operator.get(f"/tags/{tag_id}/rename").status_code == 200


def test_finding7_an_operators_rename_of_a_tag_used_outside_changes_its_subtree_only(app, client):
    world = build_world()
    operator = _operator(app, world)
    text = _rename(operator, world.tags["vip"].id, "Priority")
    assert "Tag “vip” renamed to “Priority” on 1 licenses." in text
    assert tag_names_of("CON-001") == {"Contoso Ltd", "Priority"}
    outside = [k for k in world.licenses if k.startswith("FAB") and "vip" in tag_names_of(k)]
    assert outside, "the licenses outside the subtree keep the tag"
    # Onto a name only the outside uses: the same answer as a fresh name, no merge told.
    text = _rename(operator, _own_tag(operator, world, "mine"), "Globex")
    assert "renamed to “Globex” on 1 licenses" in text and "merged" not in text


def test_finding7_an_operators_delete_of_a_tag_used_outside_changes_its_subtree_only(app, client):
    world = build_world()
    operator = _operator(app, world)
    response = operator.post(f"/tags/{world.tags['vip'].id}/delete", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "deleted from 1 licenses" in response.text
    assert "vip" not in tag_names_of("CON-001")
    assert any("vip" in tag_names_of(key) for key in world.licenses if key.startswith("FAB"))


def test_finding7_the_api_rename_of_a_tag_used_outside_tells_no_merge(app, client):
    from mspweb.api.tokens import create_token
    from mspweb.extensions import db
    from mspweb.models import User

    world = build_world()
    _operator(app, world)
    user = db.session.query(User).filter_by(email="ops@alpha.example").one()
    secret = create_token(user, "confined", can_write=True).secret
    db.session.commit()
    api = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    renamed = api.post(
        "/api/v1/tags/rename", json={"name": "vip", "new_name": "Globex"}, headers=headers
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json == {"name": "Globex", "licenses": 1, "merged": False}
    assert tag_names_of("CON-001") == {"Contoso Ltd", "Globex"}
    assert any("vip" in tag_names_of(key) for key in world.licenses if key.startswith("FAB"))
