"""The API tested against its own contract: Schemathesis on a live server, a token per role.

A real HTTP server (werkzeug, on loopback) serves the app; Schemathesis loads
/api/v1/openapi.json from it and sends generated requests (valid ones with random ids, valid
ones with the role's own ids, and invalid ones) with the token of an administrator, an operator
and two customer users. Every response: no 5xx, status, content type, headers and body as the
document says; and nothing of Tailspin's (the canaries) for anyone but Tailspin and the
administrator (R12). Bounded: a fixed number of examples per role and mode.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.serving import make_server

from tests.api_matrix import api_values, token_clients
from tests.scoping_world import build_scoping_world

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

#: Examples per role and generation mode (3 modes x 4 roles: about 700 requests in all).
EXAMPLES = 60

ROLES = {
    "admin": ("admin@scope.example", "customer_n"),
    "operator": ("operator@scope.example", "customer_a"),
    "a": ("customer-a@scope.example", "customer_a"),
    "t": ("customer-t@scope.example", "customer_t"),
}

#: Who may see Tailspin's canaries.
SEES_TAILSPIN = {"admin", "t"}


@pytest.fixture()
def live_api(app, import_demo, sandbox) -> Iterator[tuple[str, object]]:
    """The scoping world, and the app served over HTTP on loopback (base URL, world)."""
    world = build_scoping_world(app, import_demo, sandbox)
    app.config["API_RATE_LIMIT"] = "100000 per minute"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", world
    finally:
        server.shutdown()
        thread.join(5)
        app.config.pop("API_RATE_LIMIT")


def _explore(base_url: str, role: str, token: str, strategy, canaries, failures) -> None:
    """Send `EXAMPLES` generated requests with `token`; record every failed check or leak."""
    headers = {"Authorization": f"Bearer {token}"}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except AssertionError as error:
            failures.append(f"{role} {case.method} {case.formatted_path}: {error}"[:800])
        if role not in SEES_TAILSPIN:
            sent = str(case.path_parameters) + str(case.query) + str(case.body)
            leaked = [c for c in canaries if c in response.text and c not in sent]
            if leaked:
                failures.append(f"{role} {case.method} {case.formatted_path} leaked {leaked}")

    run()


def test_r12_schemathesis_every_role_no_5xx_schema_valid_nothing_out_of_scope(app, live_api):
    base_url, world = live_api
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json")
    clients = token_clients(app, {role: email for role, (email, _) in ROLES.items()})
    failures: list[str] = []
    for role, (_, company_attribute) in ROLES.items():
        own = api_values(getattr(world, company_attribute))
        own_path = {name: own[name] for name in ("key", "portal_id", "account_id", "run_id")}
        for strategy in (
            schema.as_strategy(GenerationMode.POSITIVE),
            schema.as_strategy(GenerationMode.POSITIVE, path_parameters=own_path),
            schema.as_strategy(GenerationMode.NEGATIVE),
        ):
            _explore(base_url, role, clients[role].token, strategy, world.canaries.all(), failures)
    assert failures == [], "\n".join(failures[:20])
