"""Tags on the License Management page: inline add and remove, bulk, concurrency, and R04."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from mspweb.extensions import db
from mspweb.models import AuditEntry, License, LicenseTag, PoolLicense, Tag
from tests.conftest import login, make_user
from tests.licenses_world import build_world

HX = {"HX-Request": "true"}


def tags_of(license_id: int) -> list[str]:
    """The license's tag names, sorted (read fresh: a new transaction sees other sessions)."""
    db.session.rollback()
    return sorted(
        db.session.scalars(
            select(Tag.name)
            .join(LicenseTag, LicenseTag.tag_id == Tag.id)
            .where(LicenseTag.license_id == license_id)
        )
    )


def test_add_a_tag_inline_returns_the_cell_with_it(admin_client):
    world = build_world()
    con = world.licenses["CON-003"]
    response = admin_client.post(
        f"/licenses/{con.id}/tags",
        data={"name": "  renewal  Q3 ", "version": con.version},
        headers=HX,
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<td class="tags-cell"')
    assert ">renewal Q3</span>" in response.text and "<html" not in response.text
    assert tags_of(con.id) == ["Contoso Ltd", "renewal Q3"]
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())) == "tag.add"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Enter a tag name."),
        ("   ", "Enter a tag name."),
        ("x" * 513, "at most 512 characters"),  # as long as a company name (issue 11)
        ("bad\x07bell", "control"),
        ("right\u202eleft", "control"),
    ],
)
def test_a_refused_tag_name_comes_back_inline_with_422(admin_client, name, message):
    world = build_world()
    con = world.licenses["CON-003"]
    response = admin_client.post(f"/licenses/{con.id}/tags", data={"name": name}, headers=HX)
    assert response.status_code == 422
    assert 'class="field-error" role="alert"' in response.text and message in response.text
    # the error is linked to its field, which takes focus after the swap (data-focus)
    assert f'aria-describedby="tag-error-{con.id}"' in response.text
    assert f'id="tag-error-{con.id}"' in response.text and "data-focus" in response.text
    assert tags_of(con.id) == ["Contoso Ltd"]


def test_a_100_character_tag_is_fine_and_adding_it_twice_is_a_no_op(admin_client):
    world = build_world()
    con = world.licenses["CON-003"]
    for _ in range(2):
        assert (
            admin_client.post(
                f"/licenses/{con.id}/tags", data={"name": "y" * 100}, headers=HX
            ).status_code
            == 200
        )
    assert tags_of(con.id) == ["Contoso Ltd", "y" * 100]


def test_remove_a_tag_inline(admin_client):
    world = build_world()
    con = world.licenses["CON-001"]
    vip = world.tags["vip"]
    response = admin_client.post(
        f"/licenses/{con.id}/tags/remove", data={"tag": vip.id}, headers=HX
    )
    assert response.status_code == 200 and ">vip</span>" not in response.text
    assert tags_of(con.id) == ["Contoso Ltd"]
    again = admin_client.post(f"/licenses/{con.id}/tags/remove", data={"tag": vip.id}, headers=HX)
    assert again.status_code == 200 and "no longer on this license" in again.text


def test_without_javascript_tag_forms_redirect_back_with_a_flash(admin_client):
    world = build_world()
    con = world.licenses["CON-003"]
    response = admin_client.post(
        f"/licenses/{con.id}/tags", data={"name": "nojs", "next": "/licenses?q=con"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/licenses?q=con"
    evil = admin_client.post(
        f"/licenses/{con.id}/tags", data={"name": "nojs2", "next": "https://evil.example/"}
    )
    assert evil.headers["Location"] == "/licenses"


def test_tag_edits_need_the_csrf_token(admin_client):
    world = build_world()
    con = world.licenses["CON-003"]
    response = admin_client.post(
        f"/licenses/{con.id}/tags", data={"name": "x"}, headers=HX, csrf=False
    )
    assert response.status_code == 400 and tags_of(con.id) == ["Contoso Ltd"]


def test_bulk_add_and_remove_on_selected_rows(admin_client):
    world = build_world()
    selected = [world.licenses[key].id for key in ("CON-001", "FAB-001", "GLX-001")]
    added = admin_client.post(
        "/licenses/tags", data={"license": selected, "name": "audit", "action": "add"}, headers=HX
    )
    assert added.status_code == 200 and added.headers["HX-Trigger"] == "licenses-changed"
    assert "to 3 of 3 selected licenses" in added.text
    assert all("audit" in tags_of(license_id) for license_id in selected)
    removed = admin_client.post(
        "/licenses/tags",
        data={"license": selected[:2], "name": "audit", "action": "remove"},
        headers=HX,
    )
    assert "from 2 of 2 selected" in removed.text
    assert [("audit" in tags_of(license_id)) for license_id in selected] == [False, False, True]


def test_bulk_errors_come_back_with_422(admin_client):
    world = build_world()
    none_selected = admin_client.post(
        "/licenses/tags", data={"name": "x", "action": "add"}, headers=HX
    )
    assert none_selected.status_code == 422 and "Select at least one license" in none_selected.text
    bad_name = admin_client.post(
        "/licenses/tags",
        data={"license": [world.licenses["CON-001"].id], "name": "", "action": "add"},
        headers=HX,
    )
    assert bad_name.status_code == 422 and "Enter a tag name" in bad_name.text


def test_r12_tag_edits_on_another_customers_licenses_are_404(app, client):
    world = build_world()
    make_user("contoso@customer.example", "customer-pass-1", "customer", world.companies["contoso"])
    login(client, "contoso@customer.example", "customer-pass-1")
    fab = world.licenses["FAB-002"]
    response = client.post(f"/licenses/{fab.id}/tags", data={"name": "x"}, headers=HX)
    assert response.status_code == 404
    vip = world.tags["vip"]
    assert (
        client.post(f"/licenses/{fab.id}/tags/remove", data={"tag": vip.id}, headers=HX).status_code
        == 404
    )
    mixed = [world.licenses["CON-001"].id, fab.id]
    bulk = client.post(
        "/licenses/tags", data={"license": mixed, "name": "x", "action": "add"}, headers=HX
    )
    assert bulk.status_code == 404
    assert "x" not in tags_of(world.licenses["CON-001"].id) and tags_of(fab.id) == [
        "Fabrikam AG",
        "vip",
    ]
    own = client.post(
        f"/licenses/{world.licenses['CON-001'].id}/tags", data={"name": "mine"}, headers=HX
    )
    assert own.status_code == 200  # a customer may tag its own licenses


def test_tag_edit_concurrency_two_editors_both_keep_their_tags(app, admin_client):
    """Two administrators open the same row (version 1) and each adds a tag: both are kept,
    and the second one is told that someone else changed the tags meanwhile."""
    world = build_world()
    con = world.licenses["CON-003"]
    seen = con.version
    make_user("second@msp.example", "second-pass-1", "admin")
    second = app.test_client()
    login(second, "second@msp.example", "second-pass-1")
    first = admin_client.post(
        f"/licenses/{con.id}/tags", data={"name": "from-first", "version": seen}, headers=HX
    )
    late = second.post(
        f"/licenses/{con.id}/tags", data={"name": "from-second", "version": seen}, headers=HX
    )
    assert first.status_code == 200 and "meanwhile" not in first.text
    assert late.status_code == 200 and "Someone else changed these tags meanwhile" in late.text
    assert ">from-first</span>" in late.text and ">from-second</span>" in late.text
    assert tags_of(con.id) == ["Contoso Ltd", "from-first", "from-second"]
    db.session.expire_all()
    assert db.session.get(License, con.id).version == seen + 2


def test_tag_edit_concurrency_under_parallel_requests_loses_nothing(app, admin_client):
    world = build_world()
    license_id = world.licenses["CON-003"].id
    make_user("second@msp.example", "second-pass-1", "admin")
    second = app.test_client()
    login(second, "second@msp.example", "second-pass-1")
    errors = []

    def editor(browser, prefix):
        for number in range(6):
            response = browser.post(
                f"/licenses/{license_id}/tags",
                data={"name": f"{prefix}-{number}", "version": 1},
                headers=HX,
            )
            if response.status_code != 200:
                errors.append(response.status_code)

    threads = [
        threading.Thread(target=editor, args=(browser, prefix))
        for browser, prefix in ((admin_client, "a"), (second, "b"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(tags_of(license_id)) == 13  # "Contoso Ltd" and twelve new ones


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/licenses/{id}/move"),
        ("post", "/licenses/{id}/pool"),
        ("put", "/licenses/{id}"),
        ("patch", "/licenses/{id}"),
        ("post", "/licenses/{id}"),
        ("post", "/licenses/move"),
        ("post", "/pools/{pool}/licenses"),
    ],
)
def test_r04_no_route_moves_a_license_between_pools(admin_client, method, url):
    world = build_world()
    con = world.licenses["CON-001"]
    target = world.pools["fabrikam"].id
    response = getattr(admin_client, method)(
        url.format(id=con.id, pool=target), data={"pool_id": target, "license": con.id}, headers=HX
    )
    assert response.status_code in (404, 405)
    assert (
        db.session.scalar(select(PoolLicense.pool_id).where(PoolLicense.license_id == con.id))
        == world.pools["contoso"].id
    )


@pytest.mark.parametrize("field", ["pool_id", "pool", "target_pool"])
def test_r04_a_tag_request_carrying_a_pool_is_refused_and_changes_nothing(admin_client, field):
    world = build_world()
    con = world.licenses["CON-001"]
    target = world.pools["fabrikam"].id
    inline = admin_client.post(
        f"/licenses/{con.id}/tags", data={"name": "moved", field: target}, headers=HX
    )
    bulk = admin_client.post(
        "/licenses/tags",
        data={"license": [con.id], "name": "moved", "action": "add", field: target},
        headers=HX,
    )
    assert inline.status_code == 400 and bulk.status_code == 400
    assert "cannot be moved out of its pool" in inline.text
    db.session.expire_all()
    rows = db.session.execute(
        select(PoolLicense.pool_id, License.company_id)
        .join(License, License.id == PoolLicense.license_id)
        .where(License.id == con.id)
    ).all()
    assert rows == [(world.pools["contoso"].id, world.companies["contoso"].id)]
    assert "moved" not in tags_of(con.id)
