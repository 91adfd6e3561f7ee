"""Pytest fixtures for a running sandbox portal.

Load with ``pytest_plugins = ["tests.plugins.sandbox"]`` (or ``-p tests.plugins.sandbox``).

- ``sandbox_server`` (session): the sandbox served in a thread on a free port, admin enabled,
  seed :data:`SANDBOX_SEED`, a small main account (:data:`SANDBOX_COMPANIES` companies,
  :data:`SANDBOX_LICENSES` licenses).
- ``sandbox`` (function): the same server with its world regenerated and faults, tokens,
  settings and call counts cleared; a :class:`SandboxHandle`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from mspweb.sandbox import SandboxConfig, create_app
from mspweb.sandbox.control import SandboxControl
from mspweb.sandbox.server import RunningServer, run_in_thread
from mspweb.sandbox.world import DEMO_ACCOUNTS, MAIN_ACCOUNT, DemoAccount

SANDBOX_SEED = 7
SANDBOX_COMPANIES = 12
SANDBOX_LICENSES = 60


@dataclass
class SandboxHandle:
    """A running, freshly reset sandbox: its URLs, its admin client and the demo accounts."""

    url: str
    control: SandboxControl
    accounts: dict[str, DemoAccount]
    main: DemoAccount

    @property
    def msp_url(self) -> str:
        """Base URL of the MSP portal."""
        return f"{self.url}/msp"

    @property
    def business_url(self) -> str:
        """Base URL of the business portal."""
        return f"{self.url}/business"

    def portal_url(self, portal: str) -> str:
        """Base URL of ``portal`` ("msp" or "business")."""
        return f"{self.url}/{portal}"

    def login(self, account: str = "northwind", portal: str = "msp") -> dict[str, str]:
        """Log a demo account (key of DEMO_ACCOUNTS) in; returns the Authorization header."""
        demo = self.accounts[account]
        response = requests.post(
            f"{self.portal_url(portal)}/Token/Get",
            timeout=10,
            json={"username": demo.username, "password": demo.password},
        )
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['accessToken']}"}

    def post(
        self, portal: str, path: str, json: object = None, headers: dict[str, str] | None = None
    ) -> requests.Response:
        """POST ``json`` to ``path`` of ``portal`` ("msp" or "business")."""
        return requests.post(
            f"{self.portal_url(portal)}/{path}", json=json, headers=headers, timeout=10
        )

    def get(
        self, portal: str, path: str, headers: dict[str, str] | None = None
    ) -> requests.Response:
        """GET ``path`` of ``portal``."""
        return requests.get(f"{self.portal_url(portal)}/{path}", headers=headers, timeout=10)


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[RunningServer]:
    """The sandbox served in a background thread for the whole session."""
    config = SandboxConfig(
        seed=SANDBOX_SEED, companies=SANDBOX_COMPANIES, licenses=SANDBOX_LICENSES, enable_admin=True
    )
    server = run_in_thread(create_app(config))
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server: RunningServer) -> Iterator[SandboxHandle]:
    """The session's sandbox, reset to its initial world, without faults or tokens."""
    control = SandboxControl(sandbox_server.url)
    control.reset()
    yield SandboxHandle(
        url=sandbox_server.url, control=control, accounts=DEMO_ACCOUNTS, main=MAIN_ACCOUNT
    )
    control.session.close()
