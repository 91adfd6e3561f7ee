"""The Tags page (R09): every tag with its license count; rename and delete, confirmed."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from mspweb.extensions import db
from mspweb.models import AuditEntry, LicenseTag, Tag
from tests.conftest import login, make_user
from tests.licenses_world import build_world

HX = {"HX-Request": "true"}


def tag_counts(html: str) -> dict[str, str]:
    """Tag name -> license count, as the list shows them."""
    cells = r"<tr>\s*<td>([^<]+)</td>\s*<td class=\"num\"><a [^>]*>([^<]+)</a>"
    return dict(re.findall(cells, html))


def licenses_with(name: str) -> int:
    """How many licenses carry the tag `name` now."""
    db.session.rollback()
    return (
        db.session.scalar(
            select(func.count())
            .select_from(LicenseTag)
            .join(Tag, Tag.id == LicenseTag.tag_id)
            .where(Tag.name == name)
        )
        or 0
    )


def test_every_tag_with_its_license_count(admin_client):
    build_world()
    counts = tag_counts(admin_client.get("/tags").text)
    assert counts == {
        "Acme Manager": "1",
        "Alpha MSP": "1",
        "Contoso Ltd": "3",
        "Fabrikam AG": "2",
        "Globex": "1",
        "vip": "2",
    }


def test_search_tags_in_the_url(admin_client):
    build_world()
    assert list(tag_counts(admin_client.get("/tags?q=MSP").text)) == ["Alpha MSP"]
    fragment = admin_client.get("/tags?q=MSP", headers=HX)
    assert "<html" not in fragment.text and 'id="tag-list"' in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]


def test_r09_rename_a_tag_across_all_licenses_after_a_confirmation(admin_client):
    world = build_world()
    vip = world.tags["vip"]
    confirm = admin_client.get(f"/tags/{vip.id}/rename")
    assert confirm.status_code == 200 and "on all <strong>2</strong> licenses" in confirm.text
    response = admin_client.post(f"/tags/{vip.id}/rename", data={"name": "Key account"}, headers=HX)
    assert response.status_code == 200
    assert "renamed to “Key account” on 2 licenses" in response.text
    assert response.headers["HX-Retarget"] == "#tag-list"
    assert licenses_with("vip") == 0 and licenses_with("Key account") == 2
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "tag.rename" and entry.details["to"] == "Key account"


def test_r09_renaming_onto_an_existing_tag_merges_them(admin_client):
    world = build_world()
    vip = world.tags["vip"]
    response = admin_client.post(f"/tags/{vip.id}/rename", data={"name": "Contoso Ltd"})
    assert response.status_code == 302
    assert licenses_with("Contoso Ltd") == 4  # CON-001..003 and FAB-002, CON-001 once
    assert db.session.scalar(select(Tag.id).where(Tag.name == "vip")) is None


def test_r09_a_refused_new_name_comes_back_in_the_form_with_422(admin_client):
    world = build_world()
    vip = world.tags["vip"]
    response = admin_client.post(f"/tags/{vip.id}/rename", data={"name": "  "}, headers=HX)
    assert response.status_code == 422 and "Enter a tag name" in response.text
    assert "<form" in response.text and licenses_with("vip") == 2


def test_r09_delete_a_tag_after_a_confirmation(admin_client):
    world = build_world()
    vip = world.tags["vip"]
    confirm = admin_client.get(f"/tags/{vip.id}/delete", headers=HX)
    assert "from all <strong>2</strong> licenses" in confirm.text and "<html" not in confirm.text
    response = admin_client.post(f"/tags/{vip.id}/delete", headers=HX)
    assert response.status_code == 200 and "deleted from 2 licenses" in response.text
    assert licenses_with("vip") == 0


def test_rename_and_delete_need_a_post_with_csrf(admin_client):
    world = build_world()
    vip = world.tags["vip"]
    assert admin_client.post(f"/tags/{vip.id}/delete", csrf=False).status_code == 400
    assert (
        admin_client.post(f"/tags/{vip.id}/rename", data={"name": "x"}, csrf=False).status_code
        == 400
    )
    assert licenses_with("vip") == 2


def test_r12_customer_sees_only_tags_on_its_licenses_and_cannot_rename_or_delete(app, client):
    world = build_world()
    make_user("contoso@customer.example", "customer-pass-1", "customer", world.companies["contoso"])
    login(client, "contoso@customer.example", "customer-pass-1")
    page = client.get("/tags").text
    assert tag_counts(page) == {"Contoso Ltd": "3", "vip": "1"}
    assert "Fabrikam" not in page and "Globex" not in page
    assert "Shared tag" not in page  # would tell that other customers use the name
    vip, fabrikam = world.tags["vip"], world.tags["Fabrikam AG"]
    own = world.tags["Contoso Ltd"]  # only on Contoso's licenses, yet a global tag
    # Tags are global: a customer edits them on its own licenses only. Renaming or deleting
    # is a 404 whether the tag is shared or not, so it is no oracle for other customers' tags.
    for tag in (vip, fabrikam, own):
        assert client.get(f"/tags/{tag.id}/rename").status_code == 404
        assert client.post(f"/tags/{tag.id}/delete").status_code == 404
    assert client.post(f"/tags/{own.id}/rename", data={"name": "Contoso"}).status_code == 404
    assert licenses_with("vip") == 2 and licenses_with("Fabrikam AG") == 2
    assert licenses_with("Contoso Ltd") == 3
