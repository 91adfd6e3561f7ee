"""One safe `next` (issue 15, finding 5): every redirect target goes through
`mspweb.redirects.safe_next`, which keeps only paths on this site after normalising what
browsers normalise. The corpus holds known open-redirect bypasses."""

from __future__ import annotations

import pytest

from mspweb.redirects import safe_next
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.licenses_world import build_world

BYPASSES = [
    "https://evil.example/",
    "//evil.example/x",
    "/\t/evil.example/x",
    "/\r\n/evil.example",
    "/\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "\\/evil.example",
    "/%09/evil.example",
    "/%2F/evil.example",
    "/%5Cevil.example",
    "%2F%2Fevil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http:evil.example",
    "https:/evil.example",
    "///evil.example",
    "/\x00/evil.example",
    "\x01//evil.example",
    "/.//evil.example",
    "evil.example",
    "@evil.example",
    "/licenses\r\nSet-Cookie: x=1",
    "ｈttps://evil.example",
    "/ /evil.example",
]

KEPT = ["/licenses", "/licenses?q=con&page=2", "/tags#top", "/licenses/tree?company=3"]


@pytest.mark.parametrize("target", BYPASSES)
def test_finding5_known_bypasses_fall_back_to_the_default(target):
    assert safe_next(target, "/fallback") == "/fallback"


@pytest.mark.parametrize("target", KEPT)
def test_paths_on_this_site_are_kept(target):
    assert safe_next(target, "/fallback") == target


def test_finding5_tag_form_next_never_leaves_the_site(admin_client):
    world = build_world()
    con = world.licenses["CON-003"]
    for number, target in enumerate(BYPASSES):
        response = admin_client.post(
            f"/licenses/{con.id}/tags", data={"name": f"n{number}", "next": target}
        )
        if "\x00" in target:  # refused outright by the NUL guard
            assert response.status_code == 400
            continue
        assert response.status_code == 302, (target, response.status_code)
        assert response.headers["Location"] == "/licenses", target


def test_finding5_sign_in_next_never_leaves_the_site(app, admin):
    for target in BYPASSES:
        client = app.test_client()
        response = client.post(
            "/login",
            query_string={"next": target},
            data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        )
        if "\x00" in target:  # refused outright by the NUL guard
            assert response.status_code == 400
            continue
        assert response.status_code == 302, target
        assert response.headers["Location"] == "/", target
