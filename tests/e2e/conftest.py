"""Browser tests: Playwright for Python driving Debian's chromium against a live console.

The console is served by a real HTTP server in a thread (on the test database), sync jobs run
in a real `python -m mspweb.worker` process, and the sandbox portal is the usual fixture.
Skipped when /usr/bin/chromium is missing, unless MSPWEB_REQUIRE_E2E=1 (CI) makes that a failure.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import start_rq_worker

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def pytest_collection_modifyitems(config, items):
    """Mark every test here as e2e; skip them all when there is no browser (outside CI)."""
    here = Path(__file__).parent
    missing = not Path(CHROMIUM).exists()
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
            if missing and os.environ.get("MSPWEB_REQUIRE_E2E") != "1":
                item.add_marker(pytest.mark.skip(reason=f"no browser at {CHROMIUM}"))


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture()
def live_server(app) -> Iterator[str]:
    """The console served over real HTTP on a free loopback port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture()
def live_worker(worker_env: dict):
    """A real RQ worker process for the test's queue."""
    process = start_rq_worker(worker_env)
    yield process
    process.terminate()
    try:
        process.wait(timeout=10)
    except Exception:  # noqa: BLE001
        process.kill()


@pytest.fixture()
def page(browser, live_server):
    """A fresh browser page (own cookies) whose relative URLs go to the live console."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1440, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> None:
    """Save a screenshot of the page to docs/screenshots/<name>.png (shown in the README)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


@pytest.fixture()
def sync_worker(worker_env: dict):
    """A real worker process whose portal client has no rate limit (syncs take a second)."""
    env = dict(
        worker_env,
        PORTAL_MAX_CALLS_PER_SECOND="0",
        PORTAL_MAX_ATTEMPTS="3",
        PORTAL_MAX_TOTAL_WAIT="3",
        LOG_LEVEL="WARNING",
    )
    process = start_rq_worker(env)
    yield process
    process.terminate()
    try:
        process.wait(timeout=10)
    except Exception:  # noqa: BLE001
        process.kill()


def sign_in(page, email: str, password: str) -> None:
    """Sign in through the login form and land on the Dashboard."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
