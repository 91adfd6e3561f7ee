"""The JSON API: tokens (CLI, page, audit), token-only authentication, problem+json errors,
strict query validation, rate limit, resources and starting a sync (R14)."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from sqlalchemy import select

from mspweb.api.tokens import create_token, hash_token
from mspweb.extensions import db
from mspweb.models import ApiToken, AuditEntry, SyncRun
from mspweb.models.base import utcnow
from tests.api_matrix import TokenClient
from tests.conftest import ADMIN_EMAIL, make_user, run_worker
from tests.test_two_factor import _code, _enrol

PROBLEM = "application/problem+json"


def _cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["tokens", *args], catch_exceptions=False)


def _client(app, secret: str) -> TokenClient:
    return TokenClient(app.test_client(), secret)


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_tokens_cli_creates_prints_last_and_revokes(app, admin):
    result = _cli(app, "create", "--email", ADMIN_EMAIL, "--name", "ci", "--write")
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("mspw_")
    stored = db.session.scalar(select(ApiToken).where(ApiToken.name == "ci"))
    assert stored.can_write and stored.token_hash == hash_token(secret)
    assert secret not in stored.token_hash  # only the hash is kept
    assert _client(app, secret).get("/api/v1/licenses").status_code == 200
    result = _cli(app, "revoke", "--email", ADMIN_EMAIL, "--name", "ci")
    assert result.exit_code == 0, result.output
    response = _client(app, secret).get("/api/v1/licenses")
    assert response.status_code == 401 and response.mimetype == PROBLEM
    assert _actions() == ["token.create", "token.first_use", "token.revoke"]


def test_tokens_cli_refuses_write_for_customer_users_and_expires(app, admin):
    _customer("cust@example.com")
    result = app.test_cli_runner().invoke(
        args=["tokens", "create", "--email", "cust@example.com", "--name", "x", "--write"]
    )
    assert result.exit_code != 0 and "read-only" in result.output
    result = _cli(
        app, "create", "--email", "cust@example.com", "--name", "x", "--expires-days", "3"
    )
    assert result.exit_code == 0, result.output
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "x"))
    assert not token.can_write and token.expires_at > utcnow() + timedelta(days=2)
    secret = result.output.strip().splitlines()[-1]
    assert _client(app, secret).get("/api/v1/licenses").status_code == 200
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = _client(app, secret).get("/api/v1/licenses")
    assert response.status_code == 401
    assert response.get_json()["type"] == "urn:mspweb:problem:invalid-token"


def test_a_session_cookie_alone_is_401_and_no_csrf_is_needed_with_a_token(app, admin_client):
    response = admin_client.get("/api/v1/licenses")
    assert response.status_code == 401 and response.mimetype == PROBLEM
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = response.get_json()
    assert body["type"] == "urn:mspweb:problem:unauthorized" and body["status"] == 401
    rename = {"name": "a", "new_name": "b"}
    assert admin_client.post("/api/v1/tags/rename", json=rename).status_code == 401
    secret = create_token(_admin(), "w", can_write=True).secret
    db.session.commit()
    # No CSRF token, no cookie: the token alone is enough (404: the tag does not exist).
    response = _client(app, secret).open("/api/v1/tags/rename", "POST", json=rename)
    assert response.status_code == 404 and response.mimetype == PROBLEM


def _customer(email: str):
    """A customer user confined to a bare company of a bare account."""
    from mspweb.models import Account, Company

    account = Account(
        name="Bare", identity=f"bare|{email}", username="bare", password_encrypted=b"-"
    )
    db.session.add(account)
    db.session.flush()
    company = Company(account_id=account.id, portal_id="c-1", name="Bare Co", entity_type=1007)
    db.session.add(company)
    db.session.commit()
    return make_user(email, "customer-password-1", "customer", company)


def _admin():
    from mspweb.models import User

    return db.session.scalar(select(User).where(User.email == ADMIN_EMAIL))


def test_strict_query_parameters_are_400_naming_the_parameter(app, admin):
    client = _client(app, create_token(admin, "t").secret)
    db.session.commit()
    for query, parameter in (
        ("per_page=ten", "per_page"),
        ("page=0", "page"),
        ("sort=colour", "sort"),
        ("status=great", "status"),
        ("colour=red", "colour"),
        ("dir=up", "dir"),
    ):
        response = client.get(f"/api/v1/licenses?{query}")
        assert response.status_code == 400, query
        body = response.get_json()
        assert response.mimetype == PROBLEM
        assert body["type"] == "urn:mspweb:problem:invalid-parameter"
        assert body["parameter"] == parameter and parameter in body["detail"], body
    assert client.get("/api/v1/syncs?status=done").get_json()["parameter"] == "status"
    assert client.get("/api/v1/licenses?q=a%00b").status_code == 400
    unknown = client.get("/api/v1/no-such-thing")
    assert unknown.status_code == 404
    assert unknown.get_json()["type"] == "urn:mspweb:problem:not-found"
    wrong = client.open("/api/v1/licenses", "DELETE")
    assert (
        wrong.status_code == 405 and wrong.mimetype == PROBLEM and "GET" in wrong.headers["Allow"]
    )


def test_read_only_tokens_cannot_write(app, admin):
    client = _client(app, create_token(admin, "ro").secret)
    db.session.commit()
    response = client.open("/api/v1/accounts/1/syncs", "POST")
    assert response.status_code == 403
    assert response.get_json()["type"] == "urn:mspweb:problem:read-only-token"


def test_rate_limit_per_token_is_429_with_retry_after(app, admin):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    try:
        first = _client(app, create_token(admin, "one").secret)
        second = _client(app, create_token(admin, "two").secret)
        db.session.commit()
        assert [first.get("/api/v1/tags").status_code for _ in range(3)] == [200] * 3
        limited = first.get("/api/v1/tags")
        assert limited.status_code == 429 and limited.mimetype == PROBLEM
        assert 1 <= int(limited.headers["Retry-After"]) <= 61
        assert limited.get_json()["type"] == "urn:mspweb:problem:rate-limited"
        assert second.get("/api/v1/tags").status_code == 200  # per token
    finally:
        app.config.pop("API_RATE_LIMIT")


def test_r14_starting_a_sync_answers_202_with_the_same_run_then_it_can_be_polled(
    app, import_demo, admin
):
    account = import_demo("northwind")
    client = _client(app, create_token(admin, "sync", can_write=True).secret)
    db.session.commit()
    first = client.open(f"/api/v1/accounts/{account.id}/syncs", "POST")
    second = client.open(f"/api/v1/accounts/{account.id}/syncs", "POST")
    assert first.status_code == second.status_code == 202
    run = first.get_json()
    assert second.get_json()["id"] == run["id"] and run["status"] == "queued"
    assert first.headers["Location"].endswith(f"/api/v1/syncs/{run['id']}")
    run_worker(app)
    polled = client.get(run["url"]).get_json()
    assert polled["status"] == "succeeded" and polled["counts"]["licenses_seen"] > 0
    assert db.session.get(SyncRun, run["id"]).requested_by_id == admin.id


def test_resources_use_public_ids_iso_times_and_next_links(app, import_demo, admin):
    account = import_demo("northwind")
    client = _client(app, create_token(admin, "read").secret)
    db.session.commit()
    page = client.get("/api/v1/licenses?per_page=10&sort=product").get_json()
    assert page["per_page"] == 10 and len(page["items"]) == 10 and page["total"] > 10
    assert "page=2" in page["next"] and "sort=product" in page["next"]
    following = client.get(page["next"]).get_json()
    assert following["page"] == 2
    assert {row["key"] for row in following["items"]}.isdisjoint(r["key"] for r in page["items"])
    row = page["items"][0]
    license = client.get(row["url"]).get_json()
    assert license["key"] == row["key"] and license["pools"][0]["license_user"]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", license["first_seen_at"])
    assert license["first_seen_at"].endswith("+00:00")
    company = client.get(f"/api/v1/companies/{license['company_portal_id']}").get_json()
    assert company["portal_id"] == license["company_portal_id"]
    assert company["account_id"] == account.id
    filtered = client.get(f"/api/v1/licenses?company={company['portal_id']}").get_json()
    assert filtered["total"] >= 1
    accounts = client.get("/api/v1/accounts").get_json()["items"]
    assert accounts[0]["id"] == account.id and "password" not in str(accounts)
    assert accounts[0]["latest_run"]["status"] == "succeeded"


def test_r19_r04_tags_through_the_api(app, import_demo, admin):
    import_demo("northwind")
    client = _client(app, create_token(admin, "tags", can_write=True).secret)
    db.session.commit()
    key = client.get("/api/v1/licenses?per_page=1").get_json()["items"][0]["key"]
    added = client.open(f"/api/v1/licenses/{key}/tags", "POST", json={"name": "  Gold   tier "})
    assert added.status_code == 200 and "Gold tier" in added.get_json()["tags"]
    refused = client.open(f"/api/v1/licenses/{key}/tags", "POST", json={"name": "bad\u200bname"})
    assert refused.status_code == 422 and refused.get_json()["parameter"] == "name"
    moved = client.open(
        f"/api/v1/licenses/{key}/tags", "POST", json={"name": "x", "pool": "msp:other"}
    )
    assert moved.status_code == 400 and moved.get_json()["parameter"] == "pool"  # R04
    renamed = client.open(
        "/api/v1/tags/rename", "POST", json={"name": "Gold tier", "new_name": "Platinum"}
    )
    assert renamed.status_code == 200 and renamed.get_json()["licenses"] == 1
    removed = client.open(f"/api/v1/licenses/{key}/tags/Platinum", "DELETE")
    assert removed.status_code == 200 and "Platinum" not in removed.get_json()["tags"]
    assert client.open(f"/api/v1/licenses/{key}/tags/Platinum", "DELETE").status_code == 404


def test_openapi_document_is_3_1_with_problem_responses(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert "/api/v1/licenses" in document["paths"]
    assert "/api/v1/accounts/{account_id}/syncs" in document["paths"]
    answers = document["paths"]["/api/v1/licenses"]["get"]["responses"]
    assert list(answers["400"]["content"]) == [PROBLEM]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    names = {p["name"] for p in document["paths"]["/api/v1/licenses"]["get"]["parameters"]}
    assert {"company", "status", "sort", "q", "page", "per_page", "tag", "product"} <= names


def test_api_tokens_page_creates_shows_once_lists_and_revokes(app, admin_client, admin):
    _enrol(admin_client)  # creating a token needs a fresh second factor (issue 15)
    page = admin_client.get("/api-tokens")
    assert page.status_code == 200 and 'href="/api-tokens/reference"' in page.text
    bad = admin_client.post("/api-tokens", data={"name": ""})
    assert bad.status_code == 422
    created = admin_client.post("/api-tokens", data={"name": "laptop", "write": "y"})
    assert created.status_code == 200
    secret = re.search(r'value="(mspw_[^"]+)"', created.text).group(1)
    assert _client(app, secret).get("/api/v1/accounts").status_code == 200
    listing = admin_client.get("/api-tokens").text
    assert "laptop" in listing and secret not in listing and "Read-write" in listing
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "laptop"))
    assert admin_client.post(f"/api-tokens/{token.id}/revoke").status_code == 302
    assert _client(app, secret).get("/api/v1/accounts").status_code == 401
    reference = admin_client.get("/api-tokens/reference")
    # static file names carry a content hash (issue 14): swagger-ui-bundle.<hash>.js
    assert re.search(r"vendor/swagger-ui-5\.35\.0/swagger-ui-bundle\.(\w+\.)?js", reference.text)
    assert "unsafe-inline" not in reference.headers["Content-Security-Policy"]


def test_customers_get_read_only_tokens_and_see_only_their_own(app, admin, client):
    from tests.conftest import login

    customer = _customer("c@example.com")
    other = create_token(admin, "admin-token")
    db.session.commit()
    login(client, "c@example.com", "customer-password-1")
    _enrol(client)  # creating a token needs a fresh second factor (issue 15)
    refused = client.post("/api-tokens", data={"name": "rw", "write": "y"})
    assert refused.status_code == 422 and "read-only" in refused.text
    assert client.post("/api-tokens", data={"name": "ro"}).status_code == 200
    assert "admin-token" not in client.get("/api-tokens").text
    assert client.post(f"/api-tokens/{other.token.id}/revoke").status_code == 404
    assert db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == customer.id))


def test_creating_a_token_needs_a_fresh_second_factor(app, admin_client, admin):
    def tokens() -> int:
        return len(db.session.scalars(select(ApiToken.id)).all())

    # without two-factor sign-in: sent to enrol, and no token
    refused = admin_client.post("/api-tokens", data={"name": "laptop"})
    assert refused.status_code == 302 and refused.headers["Location"] == "/account/two-factor"
    assert tokens() == 0
    secret, _codes = _enrol(admin_client)
    # enrolled, but the second factor is stale: sent to confirm a code, then back; no token
    with admin_client.session_transaction() as stored:
        stored["second_factor_at"] = time.time() - 600
    stale = admin_client.post(
        "/api-tokens", data={"name": "laptop"}, headers={"Referer": "/api-tokens"}
    )
    assert stale.status_code == 302
    assert stale.headers["Location"] == "/account/two-factor/confirm?next=/api-tokens"
    assert tokens() == 0
    confirmed = admin_client.post(
        "/account/two-factor/confirm?next=/api-tokens", data={"code": _code(secret, 30)}
    )
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == "/api-tokens"
    created = admin_client.post("/api-tokens", data={"name": "laptop"})
    assert created.status_code == 200 and re.search(r'value="(mspw_[^"]+)"', created.text)
    assert tokens() == 1
