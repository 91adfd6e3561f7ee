"""The health check and the error pages."""

from __future__ import annotations


def test_healthz_reports_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_is_503_when_redis_is_down(app, client):
    from redis import Redis

    from mspweb.broker import get_redis  # noqa: F401

    saved = app.redis
    app.redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    try:
        response = client.get("/healthz")
    finally:
        app.redis = saved
    assert response.status_code == 503
    assert response.json["redis"].startswith("down")


def test_unknown_page_is_a_full_404_page_or_a_fragment_for_htmx(admin_client):
    page = admin_client.get("/no-such-page")
    assert page.status_code == 404
    assert "<html" in page.text and "404" in page.text
    fragment = admin_client.get("/no-such-page", headers={"HX-Request": "true"})
    assert fragment.status_code == 404
    assert "<html" not in fragment.text and "404" in fragment.text
    assert "HX-Request" in fragment.headers.get("Vary", "")


def test_security_headers_on_every_response(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"]
