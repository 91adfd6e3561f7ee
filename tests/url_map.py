"""Walking the application's URL map: every route, with real ids filled in.

Tests that must cover every route (CSRF, authorization, hostile input) build their requests
from here, so a route added later is covered without editing them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from flask import Flask
from werkzeug.routing import Rule
from werkzeug.routing.converters import NumberConverter

STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Route:
    """One (endpoint, method) of the app, with a URL built from sample values."""

    endpoint: str
    method: str
    url: str
    rule: str


def routes(app: Flask, values: dict[str, object]) -> Iterator[Route]:
    """Every route except static files, each method separately, URLs built from `values`."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield Route(rule.endpoint, method, build(app, rule, values), rule.rule)


def build(app: Flask, rule: Rule, values: dict[str, object]) -> str:
    """The URL of `rule` with each argument taken from `values` (1 or "x" when absent)."""
    arguments = {}
    for name in rule.arguments:
        default = 1 if isinstance(rule._converters[name], NumberConverter) else "x"
        arguments[name] = values.get(name, default)
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **arguments)
