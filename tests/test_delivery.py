"""Responses are compressed by the app, and static files have content-hashed, long-lived URLs
(issue 14, finding 10)."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

import brotli

from tests.licenses_world import build_world

STATIC = Path(__file__).resolve().parents[1] / "static"


def _digest(relative: str) -> str:
    return hashlib.sha256((STATIC / relative).read_bytes()).hexdigest()[:12]


def test_pages_name_static_files_by_content_hash_and_serve_them_immutable(admin_client):
    page = admin_client.get("/licenses")
    css = f"/static/css/app.{_digest('css/app.css')}.css"
    js = f"/static/js/a11y.{_digest('js/a11y.js')}.js"
    assert f'href="{css}"' in page.text and f'src="{js}"' in page.text
    assert not re.search(r'(href|src)="/static/[^"]*?(?<!\.[0-9a-f]{12})\.(css|js)"', page.text)

    asset = admin_client.get(css)
    assert asset.status_code == 200
    assert asset.data == (STATIC / "css/app.css").read_bytes()
    cache = asset.headers["Cache-Control"]
    assert "max-age=31536000" in cache and "immutable" in cache and "public" in cache


def test_a_plain_or_stale_static_name_still_works_but_is_revalidated(client):
    for url in ("/static/css/app.css", "/static/css/app.0123456789ab.css"):
        response = client.get(url)
        assert response.status_code == 200 and b"mspweb" in response.data
        assert "immutable" not in response.headers.get("Cache-Control", "")
    assert client.get("/static/css/nothing.0123456789ab.css").status_code == 404


def test_html_css_js_and_csv_are_compressed_for_browsers_that_accept_it(admin_client):
    build_world()
    page = admin_client.get("/licenses", headers={"Accept-Encoding": "br, gzip"})
    assert page.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in page.headers["Vary"]
    assert b"License Management" in brotli.decompress(page.data)

    fragment = admin_client.get(
        "/licenses", headers={"Accept-Encoding": "gzip", "HX-Request": "true"}
    )
    assert fragment.headers["Content-Encoding"] == "gzip"
    assert b"license-table" in gzip.decompress(fragment.data)

    css = admin_client.get(
        f"/static/css/app.{_digest('css/app.css')}.css", headers={"Accept-Encoding": "br"}
    )
    assert css.headers["Content-Encoding"] == "br"  # streamed files: brotli (or deflate)
    assert brotli.decompress(css.data) == (STATIC / "css/app.css").read_bytes()
    csv = admin_client.get("/licenses/export.csv", headers={"Accept-Encoding": "gzip, br"})
    assert csv.headers["Content-Encoding"] == "br"
    assert b"CON-003" in brotli.decompress(csv.data)

    plain = admin_client.get("/licenses")  # no Accept-Encoding: as it was
    assert "Content-Encoding" not in plain.headers and b"License Management" in plain.data
