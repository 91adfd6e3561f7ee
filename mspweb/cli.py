"""The `flask` command groups of the console."""

from __future__ import annotations

from importlib import import_module

from flask import Flask

#: Command groups, as "module:attribute".
GROUPS = [
    "mspweb.users.cli:users_cli",
    "mspweb.accounts.cli:accounts_cli",
    "mspweb.licenses.cli:licenses_cli",
    "mspweb.sandbox.cli:sandbox_cli",
    "mspweb.reports.cli:reports_cli",  # issue 10
]


def register_cli(app: Flask) -> None:
    """Register every command group (users, accounts, licenses, sandbox, dev)."""
    for spec in GROUPS:
        module_name, attribute = spec.split(":")
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as error:  # a feature still being written
            if error.name != module_name:
                raise
            continue
        app.cli.add_command(getattr(module, attribute))
