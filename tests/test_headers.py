"""Headers (issue 15, finding 8): authenticated pages are never stored by the browser or a
proxy, features the console never uses are switched off, and the session cookie is `Secure` by
default outside the embedded default and the tests (with a start-up warning when turned off)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT


def test_finding8_authenticated_pages_are_no_store(admin_client):
    for url in ("/", "/users", "/licenses", "/licenses/export.csv", "/security"):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response.headers.get("Cache-Control", ""), url
    fragment = admin_client.get("/licenses", headers={"HX-Request": "true"})
    assert "no-store" in fragment.headers["Cache-Control"]


def test_finding8_permissions_policy_and_opener_policy(client):
    for response in (client.get("/login"), client.get("/healthz")):
        policy = response.headers.get("Permissions-Policy", "")
        for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
            assert feature in policy
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def _config(env_update: dict[str, str]) -> subprocess.CompletedProcess:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SESSION_COOKIE_SECURE"}
    }
    env.update(env_update, PYTHONPATH=str(ROOT), SECRET_KEY="headers-test-secret")
    script = (
        "import config, logging\n"
        "print('secure', config.Config.SESSION_COOKIE_SECURE)\n"
        "from mspweb.auth.cookies import warn_if_cookie_insecure\n"
        "from flask import Flask\n"
        "app = Flask('x'); app.config.from_object(config.Config)\n"
        "warn_if_cookie_insecure(app)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_finding8_session_cookie_is_secure_by_default_in_production(tmp_path):
    production = _config({"DATABASE_URL": "postgresql://db.example/mspweb"})
    assert "secure True" in production.stdout, production.stderr
    assert "SESSION_COOKIE_SECURE" not in production.stderr
    embedded = _config({"MSPWEB_INSTANCE_PATH": str(tmp_path)})
    assert "secure False" in embedded.stdout, embedded.stderr
    turned_off = _config(
        {"DATABASE_URL": "postgresql://db.example/mspweb", "SESSION_COOKIE_SECURE": "0"}
    )
    assert "secure False" in turned_off.stdout
    assert "SESSION_COOKIE_SECURE is off" in turned_off.stderr
