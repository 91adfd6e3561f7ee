"""R12: who gets what, for every route of the app, built from the URL map.

Every (endpoint, method) of the URL map must be classified in `EXPECTED`; a route added later
and not classified fails `test_r12_every_route_is_classified`. Each route is requested by five
browsers: anonymous, an administrator, an operator confined to Fabrikam Alpine, customer A (an
Alpine customer) and customer B (a Fabrikam Nordics customer, outside the operator's subtree).
URLs and form fields name customer B's things (its company, license, tag, account, its account's
sync run and its login), so customer A and the operator are forging requests.

Statuses are those of a plain browser request (POSTs carry a valid CSRF token and a form that
names B's ids but no other field, so an allowed POST is an invalid form or a no-op, except for
the destructive ones, which the administrator sends last). GETs are sent again as htmx requests:
the same status, except for fragment-only routes that redirect a plain request.
"""

from __future__ import annotations

import pytest

from tests.api_matrix import (
    API_EXPECTED,
    API_LAST,
    API_ROUTES,
    api_body,
    api_values,
    token_clients,
)
from tests.api_matrix import ROLES as API_ROLES
from tests.page_helpers import HX
from tests.scoping_world import build_scoping_world
from tests.url_map import routes

#: The browsers, in the order the statuses are listed in `EXPECTED`.
ROLES = ("anonymous", "admin", "operator", "a", "b")

#: (endpoint, method) -> statuses for (anonymous, admin, operator, customer A, customer B).
#: 302 for anonymous is the redirect to the login page; 403: an operator asks for an
#: administrator's action; 404: a customer asks for a staff page, or anyone names something
#: outside their scope.
EXPECTED: dict[tuple[str, str], tuple[int, int, int, int, int]] = {
    ("auth.login", "GET"): (200, 302, 302, 302, 302),
    ("auth.login", "POST"): (422, 302, 302, 302, 302),
    ("auth.logout", "POST"): (302, 302, 302, 302, 302),
    ("main.dashboard", "GET"): (302, 200, 200, 200, 200),
    ("main.healthz", "GET"): (200, 200, 200, 200, 200),
    # Accounts: administrators only (no account import, sync or pool removal for operators).
    ("accounts.index", "GET"): (302, 200, 403, 404, 404),
    ("accounts.new", "GET"): (302, 200, 403, 404, 404),
    ("accounts.new", "POST"): (302, 422, 403, 404, 404),
    ("accounts.sync", "POST"): (302, 302, 403, 404, 404),
    ("accounts.remove_pools_confirm", "GET"): (302, 200, 403, 404, 404),
    ("accounts.remove_pools", "POST"): (302, 302, 403, 404, 404),
    ("accounts.skip_setup_for_new", "POST"): (302, 302, 403, 404, 404),
    # Staff pages, confined to the operator's subtree.
    ("audit.index", "GET"): (302, 200, 403, 404, 404),
    ("computers.index", "GET"): (302, 200, 200, 404, 404),
    ("computers.children", "GET"): (302, 200, 404, 404, 404),
    ("customers.index", "GET"): (302, 200, 200, 404, 404),
    ("customers.skip_setup", "POST"): (302, 302, 404, 404, 404),
    ("customers.setup", "GET"): (302, 200, 403, 404, 404),
    ("customers.setup", "POST"): (302, 422, 403, 404, 404),
    ("syncs.index", "GET"): (302, 200, 200, 404, 404),
    ("syncs.status", "GET"): (302, 200, 200, 404, 404),  # the operator's own account's run
    ("users.index", "GET"): (302, 200, 403, 404, 404),
    # The change log (issue 11): staff lists, records confined to the operator's subtree;
    # the History of a license or customer for everyone who may see it.
    ("changes.index", "GET"): (302, 200, 200, 404, 404),
    ("changes.run_changes", "GET"): (302, 200, 200, 404, 404),
    ("changes.run_changes_csv", "GET"): (302, 200, 200, 404, 404),
    ("changes.account_changes", "GET"): (302, 200, 200, 404, 404),
    ("changes.account_changes_csv", "GET"): (302, 200, 200, 404, 404),
    ("changes.license_history", "GET"): (302, 200, 404, 404, 200),
    ("changes.company_history", "GET"): (302, 200, 404, 404, 200),
    ("users.create", "POST"): (302, 422, 403, 404, 404),
    ("users.set_active", "POST"): (302, 303, 403, 404, 404),
    # License Management: everyone signed in, each within their scope.
    ("licenses.index", "GET"): (302, 200, 200, 200, 200),
    ("licenses.export", "GET"): (302, 200, 200, 200, 200),
    ("licenses.tree", "GET"): (302, 302, 302, 302, 302),
    ("licenses.tag_options", "GET"): (302, 302, 302, 302, 302),
    ("licenses.tree_children", "GET"): (302, 302, 404, 404, 302),
    ("licenses.add_tag", "POST"): (302, 302, 404, 404, 302),
    ("licenses.remove_tag", "POST"): (302, 302, 404, 404, 302),
    ("licenses.bulk_tags", "POST"): (302, 302, 404, 404, 302),
    # Tags: rename and delete: never for customers; an operator's edit of a tag also used
    # outside its subtree changes its subtree only (B's tag is not even visible to them).
    ("tags.index", "GET"): (302, 200, 200, 200, 200),
    ("tags.rename", "GET"): (302, 200, 404, 404, 404),
    ("tags.rename", "POST"): (302, 422, 404, 404, 404),
    ("tags.delete", "GET"): (302, 200, 404, 404, 404),
    ("tags.delete", "POST"): (302, 302, 404, 404, 404),
    # Security (issue 15): administrators only.
    ("security.index", "GET"): (302, 200, 403, 404, 404),
    ("security.clear", "POST"): (302, 303, 403, 404, 404),
    ("security.sign_out_everywhere", "POST"): (302, 303, 403, 404, 404),
    ("security.require_two_factor", "POST"): (302, 303, 403, 404, 404),
    # One's own sessions and two-factor sign-in (issue 15): everyone signed in, for themselves.
    ("account.sessions", "GET"): (302, 200, 200, 200, 200),
    ("account.end", "POST"): (302, 404, 404, 404, 404),  # no such session of theirs
    ("account.end_all", "POST"): (302, 303, 303, 303, 303),
    ("account.two_factor", "GET"): (302, 200, 200, 200, 200),
    ("account.qr_code", "GET"): (302, 200, 200, 200, 200),
    ("account.enable", "POST"): (302, 422, 422, 422, 422),
    ("account.disable", "POST"): (302, 303, 303, 303, 303),
    ("account.recovery_codes", "POST"): (302, 303, 303, 303, 303),
    ("account.confirm_two_factor", "GET"): (302, 302, 302, 302, 302),
    ("account.confirm_two_factor", "POST"): (302, 302, 302, 302, 302),
    ("auth.second_step", "GET"): (302, 302, 302, 302, 302),
    ("auth.second_step", "POST"): (302, 302, 302, 302, 302),
    # Tag drift (issue 11): staff only, the operator within its subtree (B is outside it).
    ("drift.index", "GET"): (302, 200, 200, 404, 404),
    ("drift.fix", "POST"): (302, 302, 404, 404, 404),
    ("drift.undo", "POST"): (302, 404, 404, 404, 404),
    # API tokens page (issue 13): everyone signed in, for their own tokens; token 1 is nobody's
    # here, so revoking it is 404. Creating needs a fresh second factor (issue 15): nobody here
    # has enrolled, so every role is sent to enrol first (302).
    ("tokens.index", "GET"): (302, 200, 200, 200, 200),
    ("tokens.create", "POST"): (302, 302, 302, 302, 302),
    ("tokens.revoke", "POST"): (302, 404, 404, 404, 404),
    ("tokens.reference", "GET"): (302, 200, 200, 200, 200),
    # Alerts (issue 13): everyone, within their scope; the forged form names no frequency.
    ("alerts.index", "GET"): (302, 200, 200, 200, 200),
    ("alerts.digest", "POST"): (302, 400, 400, 400, 400),
    # Webhooks (issue 13): administrators only; endpoint 1 does not exist here (404).
    ("webhooks.index", "GET"): (302, 200, 403, 404, 404),
    ("webhooks.create", "POST"): (302, 422, 403, 404, 404),
    ("webhooks.show", "GET"): (302, 404, 403, 404, 404),
    ("webhooks.toggle", "POST"): (302, 404, 403, 404, 404),
    ("webhooks.test", "POST"): (302, 404, 403, 404, 404),
    ("webhooks.redeliver", "POST"): (302, 404, 403, 404, 404),
    # The JSON API takes tokens only: a browser session is 401 (tests/test_api_matrix.py covers
    # every API route with a token of each role). The OpenAPI document is public.
    **{(endpoint, method): (401,) * 5 for endpoint, method in API_ROUTES},
    ("api.openapi", "GET"): (200, 200, 200, 200, 200),
    # Reports (issue 10): everyone signed in, each within their scope; closing and reopening
    # a billing month are administrators' actions (the forged form lacks the month / reason).
    ("reports.index", "GET"): (302, 302, 302, 302, 302),
    ("reports.license_users", "GET"): (302, 200, 200, 200, 200),
    ("reports.license_users_csv", "GET"): (302, 200, 200, 200, 200),
    ("reports.license_users_xlsx", "GET"): (302, 200, 200, 200, 200),
    ("reports.usage", "GET"): (302, 200, 200, 200, 200),
    ("reports.usage_data", "GET"): (302, 200, 200, 200, 200),
    ("reports.billing", "GET"): (302, 200, 200, 200, 200),
    ("reports.billing_csv", "GET"): (302, 200, 200, 200, 200),
    ("reports.billing_xlsx", "GET"): (302, 200, 200, 200, 200),
    ("reports.billing_close", "POST"): (302, 400, 403, 404, 404),
    ("reports.billing_reopen", "POST"): (302, 422, 403, 404, 404),
    ("reports.delivery_schedule", "POST"): (302, 302, 403, 404, 404),
}

#: Fragment-only routes: a plain request is redirected to the page, an htmx one gets 200.
FRAGMENT_ONLY = {"licenses.tree", "licenses.tag_options", "licenses.tree_children"}

#: Sent after everything else, signing out last of all (and the administrator, who can change
#: things, after the other roles): they change or end things.
LAST = {
    ("tags.delete", "POST"),
    ("users.set_active", "POST"),
    ("accounts.remove_pools", "POST"),
    ("account.end_all", "POST"),
    ("auth.logout", "POST"),
}

#: Routes that end the browser's own sessions: sent at the very end, sign-out last of all.
SIGN_OUTS = {"account.end_all", "auth.logout"}


@pytest.fixture()
def world(app, import_demo, sandbox):
    """The scoping world; URL values name customer B (Fabrikam Nordics' customer)."""
    return build_scoping_world(app, import_demo, sandbox)


def test_r12_every_route_is_classified(app):
    found = {(route.endpoint, route.method) for route in routes(app, {})}
    assert found - set(EXPECTED) == set(), "classify these routes in EXPECTED"
    assert set(EXPECTED) - found == set(), "these routes no longer exist"


def test_r12_authorization_matrix_every_route_every_role(app, world):
    values = world.ids(world.customer_n)
    forged_form = {
        "license": values["license_id"],
        "tag": values["tag_id"],
        "company_id": values["company_id"],
        "account": values["account_id"],
    }
    clients = dict(world.clients, b=world.clients["n"])
    every = sorted(
        routes(app, values),
        key=lambda r: (
            (r.endpoint, r.method) in LAST,
            r.endpoint in SIGN_OUTS,
            r.endpoint == "auth.logout",
            r.rule,
        ),
    )
    mismatches = []
    for role in ("anonymous", "a", "operator", "b", "admin"):  # the administrator changes things
        expected_index = ROLES.index(role)
        for route in every:
            expected = EXPECTED[(route.endpoint, route.method)][expected_index]
            client = clients[role]
            data = forged_form if route.method == "POST" else None
            status = client.open(route.url, method=route.method, data=data).status_code
            if status != expected:
                mismatches.append((role, route.method, route.url, expected, status))
            # the sign-in pages are public (the second step without a pending sign-in goes back
            # to the sign-in page: a plain redirect, not the htmx 401)
            if route.method == "GET" and route.endpoint != "auth.login":
                wanted = (
                    200
                    if route.endpoint in FRAGMENT_ONLY and expected == 302 and role != "anonymous"
                    else expected
                )
                if role == "anonymous" and expected == 302 and route.endpoint != "auth.second_step":
                    # htmx without a session: 401 + HX-Redirect (issue 14); the sign-in's own
                    # second step is no protected page: without a pending sign-in it redirects
                    wanted = 401
                status = client.get(route.url, headers=HX).status_code
                if status != wanted:
                    mismatches.append((role, "GET (htmx)", route.url, wanted, status))
            elif route.method == "POST" and expected in (403, 404):
                status = client.post(route.url, data=data, headers=HX).status_code
                if status != expected:
                    mismatches.append((role, "POST (htmx)", route.url, expected, status))
    assert mismatches == [], "\n".join(map(str, mismatches))


def test_r12_forged_ids_in_query_parameters_are_404(app, world):
    """A tree node or an account of someone else in the query string: 404, never an empty page
    that would confirm or deny anything."""
    tailspin = world.ids(world.customer_t)
    nordics = world.ids(world.customer_n)
    customer_a, operator = world.clients["a"], world.clients["operator"]
    for client in (customer_a, operator):
        for url in (
            f"/licenses?company={nordics['company_id']}",
            f"/licenses?account={tailspin['account_id']}",
            f"/licenses/export.csv?company={tailspin['company_id']}",
            f"/licenses/export.csv?account={tailspin['account_id']}",
            f"/licenses/tree?company={nordics['company_id']}",
        ):
            assert client.get(url).status_code == 404, url
            assert client.get(url, headers=HX).status_code == 404, url
    assert operator.get(f"/syncs?account={tailspin['account_id']}").status_code == 404
    assert operator.get(f"/syncs?account={nordics['account_id']}").status_code == 200
    assert customer_a.get(f"/licenses?account={nordics['account_id']}").status_code == 200


# -- the JSON API with tokens (issue 13) ------------------------------------------------------
def test_r12_api_every_route_is_classified(app):
    found = {(r.endpoint, r.method) for r in routes(app, {}) if r.endpoint.startswith("api.")}
    assert found == set(API_EXPECTED), "classify the API routes in tests/api_matrix.py"


def test_r12_api_matrix_every_route_every_role_with_tokens(app, world):
    values = api_values(world.customer_n)
    clients = token_clients(
        app,
        {
            "admin": "admin@scope.example",
            "operator": "operator@scope.example",
            "a": "customer-a@scope.example",
            "b": "customer-n@scope.example",
        },
    )
    every = sorted(
        (r for r in routes(app, values) if r.endpoint.startswith("api.")),
        key=lambda r: (
            API_LAST.index((r.endpoint, r.method)) if (r.endpoint, r.method) in API_LAST else -1,
            r.rule,
        ),
    )
    mismatches = []
    for route in every:
        for role in ("anonymous", "a", "operator", "b", "admin"):  # the administrator last
            expected = API_EXPECTED[(route.endpoint, route.method)][API_ROLES.index(role)]
            response = clients[role].open(
                route.url, route.method, json=api_body(route.endpoint, values)
            )
            if response.status_code != expected:
                mismatches.append((role, route.method, route.url, expected, response.status_code))
            if response.status_code >= 400:
                assert response.mimetype == "application/problem+json", route.url
                assert response.get_json()["type"].startswith("urn:mspweb:problem:")
    assert mismatches == [], "\n".join(map(str, mismatches))
