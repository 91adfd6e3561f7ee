"""R12 canaries: Tailspin's company, site, product and license key are unique strings, and no
response to someone who may not see Tailspin ever contains them.

Customer A (a Fabrikam Alpine customer) and the operator confined to Fabrikam Alpine ask for
every GET route of the URL map, as pages and as htmx fragments, with Tailspin's ids (forged) and
with their own; then every listing with forged and searching query parameters (the tree, the
export, the tag list, search results, counts, error pages); then every POST with Tailspin's ids
in the URL and the form. A canary that the request itself carried (a search term, say) is not
held against the answer: only what the server adds counts.
"""

from __future__ import annotations

from urllib.parse import unquote_plus, urlencode

import pytest

from tests.api_matrix import api_body, api_values, token_clients
from tests.page_helpers import HX, response_text
from tests.scoping_world import build_scoping_world
from tests.url_map import routes

#: Routes whose query string the probes below vary (the listings, searches and exports).
LISTINGS = (
    "/",
    "/licenses",
    "/licenses/export.csv",
    "/licenses/tree",
    "/licenses/tag-options",
    "/tags",
    "/customers",
    "/computers",
    "/syncs",
    "/changes",
    "/tags/drift",
    "/audit",
    "/accounts",
    "/users",
    "/security",
    "/account/sessions",
    "/account/two-factor",
    "/reports/license-users",  # issue 10
    "/reports/license-users.csv",
    "/reports/usage",
    "/reports/usage/data",
    "/reports/billing",
    "/reports/billing.csv",
)


@pytest.fixture()
def world(app, import_demo, sandbox):
    """Fabrikam (the operator, customer A) and Tailspin (customer T, with canaries)."""
    return build_scoping_world(app, import_demo, sandbox)


def _leaks(world, response, request_text: str) -> list[str]:
    """The canaries in the response (body and headers) that the request did not carry."""
    sent = unquote_plus(request_text)
    answer = (
        response_text(response)
        + "\n"
        + "\n".join(f"{name}: {value}" for name, value in response.headers.items())
    )
    return [canary for canary in world.canaries.all() if canary not in sent and canary in answer]


def _probes(world) -> list[dict[str, object]]:
    """Query strings that name or search for Tailspin's things."""
    tailspin = world.ids(world.customer_t)
    canaries = world.canaries
    return [
        {"company": tailspin["company_id"]},
        {"account": tailspin["account_id"]},
        {"q": "Kestrel"},
        {"q": "ailspi"},
        {"q": canaries.license_key[:5]},
        {"tag": canaries.company},
        {"product": "KSTRL"},
        {"status": "overused", "sort": "user", "dir": "desc"},
        {"per_page": 200, "sort": "pool"},
    ]


def test_r12_canaries_are_visible_to_their_own_customer_and_the_administrator(world):
    """The control: the canaries are there to be found, for those who may see them."""
    own = world.clients["t"]
    for url in ("/licenses", "/licenses/export.csv"):
        text = own.get(url).text
        for canary in world.canaries.all():
            assert canary in text, (url, canary)
    assert world.canaries.site in world.clients["admin"].get("/licenses?q=Kestrel").text
    assert world.canaries.product in world.clients["admin"].get("/licenses/export.csv").text


@pytest.mark.parametrize("role", ["a", "operator"])
def test_r12_no_get_route_ever_shows_another_customers_canaries(app, world, role):
    client = world.clients[role]
    own = world.ids(world.customer_a)
    forged = world.ids(world.customer_t)
    leaks = []
    for values in (forged, own):
        for route in routes(app, values):
            if route.method != "GET":
                continue
            for headers in ({}, HX):
                response = client.get(route.url, headers=headers)
                leaks += [
                    (route.url, bool(headers), canary)
                    for canary in _leaks(world, response, route.url)
                ]
    assert leaks == []


@pytest.mark.parametrize("role", ["a", "operator"])
def test_r12_no_listing_search_or_export_shows_another_customers_canaries(world, role):
    client = world.clients[role]
    leaks = []
    for path in LISTINGS:
        for query in _probes(world):
            url = f"{path}?{urlencode(query)}"
            for headers in ({}, HX):
                response = client.get(url, headers=headers)
                assert response.status_code < 500, url
                leaks += [(url, bool(headers), canary) for canary in _leaks(world, response, url)]
    assert leaks == []


@pytest.mark.parametrize("role", ["a", "operator"])
def test_r12_forged_posts_never_answer_with_another_customers_canaries(app, world, role):
    client = world.clients[role]
    forged = world.ids(world.customer_t)
    form = {
        "license": forged["license_id"],
        "tag": forged["tag_id"],
        "name": "probe",
        "action": "add",
        "company_id": forged["company_id"],
        "email": "probe@x.example",
        "mode": "create",
        "q": "Kestrel",
    }
    leaks = []
    for route in routes(app, forged):
        if route.method != "POST" or route.endpoint in ("auth.logout", "auth.login"):
            continue
        if route.endpoint.startswith(("account.", "auth.")):
            continue  # one's own sessions and second factor: no ids to forge (issue 15)
        if route.endpoint.startswith("api.") or route.endpoint in (
            "tokens.create",
            "alerts.digest",
        ):
            continue  # the API is token-only (below); own tokens and settings name no one's
        for headers in ({}, HX):
            response = client.post(route.url, data=form, headers=headers)
            assert response.status_code in (403, 404), (route.url, response.status_code)
            leaks += [(route.url, canary) for canary in _leaks(world, response, route.url)]
    assert leaks == []
    # and nothing changed for Tailspin: its canary license has no "probe" tag
    assert "probe" not in world.clients["t"].get("/licenses/export.csv").text


# -- the JSON API with tokens (issue 13) ------------------------------------------------------
API_LISTINGS = (
    "/api/v1/licenses",
    "/api/v1/tags",
    "/api/v1/companies",
    "/api/v1/syncs",
    "/api/v1/accounts",
    "/api/v1/audit",
    "/api/v1/reports/billing",
    "/api/v1/reports/usage",
    "/api/v1/reports/license-users",
)


def _api_probes(world) -> list[dict[str, object]]:
    tailspin = api_values(world.customer_t)
    return [
        {"company": tailspin["portal_id"]},
        {"account": tailspin["account_id"]},
        {"q": "Kestrel"},
        {"q": "ailspi"},
        {"q": world.canaries.license_key[:5]},
        {"tag": world.canaries.company},
        {"product": "KSTRL"},
        {"status": "overused", "sort": "user", "dir": "desc"},
        {"per_page": 200, "sort": "pool"},
        # the License User report's groups (the other listings refuse `group`: a 400)
        {"group": "customer", "per_page": 200},
        {"group": "pool", "sort": "used", "dir": "desc"},
        {"group": "tag", "q": "ailspi"},
        {"group": "product", "product": "KSTRL"},
    ]


@pytest.mark.parametrize("role", ["a", "operator"])
def test_r12_api_never_shows_another_customers_canaries(app, world, role):
    """Every API GET route with Tailspin's ids and with one's own, every listing with forged
    and searching parameters, every write naming Tailspin's things: no canary comes back."""
    email = {"a": "customer-a@scope.example", "operator": "operator@scope.example"}[role]
    client = token_clients(app, {role: email})[role]
    own, forged = api_values(world.customer_a), api_values(world.customer_t)
    leaks = []
    for values in (forged, own):
        for route in routes(app, values):
            if not route.endpoint.startswith("api.") or route.endpoint == "api.openapi":
                continue
            body = api_body(route.endpoint, values)
            if route.method != "GET" and values is own:
                continue  # own writes are the matrix's business; here only forged ones
            response = client.open(route.url, route.method, json=body)
            assert response.status_code < 500, route.url
            if route.method != "GET":
                assert response.status_code in (403, 404), (route.url, response.status_code)
            leaks += [(route.url, canary) for canary in _leaks(world, response, route.url)]
    for path in API_LISTINGS:
        for query in _api_probes(world):
            url = f"{path}?{urlencode(query)}"
            response = client.get(url)
            assert response.status_code < 500, url
            leaks += [(url, canary) for canary in _leaks(world, response, url)]
    assert leaks == []
    assert "matrix probe" not in world.clients["t"].get("/licenses/export.csv").text


def test_r12_api_canaries_are_visible_to_their_own_customer(app, world):
    """The control: Tailspin's own token sees its canaries through the API."""
    client = token_clients(app, {"t": "customer-t@scope.example"})["t"]
    text = client.get("/api/v1/licenses").get_data(as_text=True)
    for canary in world.canaries.all():
        assert canary in text, canary
