"""The sandbox portal: one Flask app serving both license portals from generated data.

It imports only Flask, werkzeug and the standard library (never the console's app, models or
database). Start it with ``python -m mspweb.sandbox`` or ``flask --app wsgi sandbox serve``;
in tests, use the fixtures of ``tests/plugins/sandbox.py``.
"""

from .app import create_app
from .state import Sandbox, SandboxConfig
from .world import DEMO_ACCOUNTS, MAIN_ACCOUNT, DemoAccount

__all__ = ["DEMO_ACCOUNTS", "MAIN_ACCOUNT", "DemoAccount", "Sandbox", "SandboxConfig", "create_app"]
