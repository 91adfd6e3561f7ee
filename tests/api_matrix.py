"""The JSON API's authorization matrix (R12): every /api/v1 route, a token of each role.

Shared by tests/test_authorization_matrix.py (a browser session alone is 401 on every API
route) and its token test, and by the canary tests. URL values name customer B (Fabrikam
Nordics' customer): its license key, company portal id, tag, account and the account's run.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from sqlalchemy import func, select

from mspweb.api.tokens import create_token
from mspweb.extensions import db
from mspweb.models import Company, License, LicenseTag, SyncRun, Tag, User

#: The token holders, in the order the statuses are listed: no token, an administrator, the
#: operator confined to Fabrikam Alpine, customer A (Alpine) and customer B (Nordics).
ROLES = ("anonymous", "admin", "operator", "a", "b")

#: (endpoint, method) -> statuses for (no token, admin, operator, customer A, customer B).
#: Administrators' and operators' tokens are read-write, customers' read-only (403 on writes,
#: before anything is looked up).
API_EXPECTED: dict[tuple[str, str], tuple[int, int, int, int, int]] = {
    ("api.openapi", "GET"): (200, 200, 200, 200, 200),
    ("api.list_licenses", "GET"): (401, 200, 200, 200, 200),
    ("api.show_license", "GET"): (401, 200, 404, 404, 200),
    ("api.add_license_tag", "POST"): (401, 200, 404, 403, 403),
    ("api.remove_license_tag", "DELETE"): (401, 200, 404, 403, 403),
    ("api.list_tags", "GET"): (401, 200, 200, 200, 200),
    ("api.rename", "POST"): (401, 200, 404, 403, 403),
    ("api.list_accounts", "GET"): (401, 200, 403, 404, 404),
    ("api.show_account", "GET"): (401, 200, 403, 404, 404),
    ("api.start_sync", "POST"): (401, 202, 403, 403, 403),
    ("api.list_syncs", "GET"): (401, 200, 200, 404, 404),
    ("api.show_sync", "GET"): (401, 200, 200, 404, 404),  # the operator's own account's run
    ("api.list_companies", "GET"): (401, 200, 200, 404, 404),
    ("api.show_company", "GET"): (401, 200, 404, 404, 404),
    ("api.list_audit", "GET"): (401, 200, 403, 404, 404),
    # Reports (issue 13): everyone, within their scope (as the report pages).
    ("api.report_billing", "GET"): (401, 200, 200, 200, 200),
    ("api.report_usage", "GET"): (401, 200, 200, 200, 200),
    ("api.report_license_users", "GET"): (401, 200, 200, 200, 200),
}

#: Every API route a browser session alone cannot use.
API_ROUTES = [key for key in API_EXPECTED if key != ("api.openapi", "GET")]

#: Sent last, in this order: they change what the other requests name.
API_LAST = [("api.remove_license_tag", "DELETE"), ("api.rename", "POST")]


@dataclass
class TokenClient:
    """A test client that sends one API token with every request (None: no token)."""

    client: object
    token: str | None

    def open(self, url: str, method: str = "GET", json: dict | None = None):
        """Send a request with the token."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return self.client.open(url, method=method, json=json, headers=headers)

    def get(self, url: str):
        """GET `url` with the token."""
        return self.open(url)


def token_clients(app: Flask, emails: dict[str, str]) -> dict[str, TokenClient]:
    """A token client per role (`emails`: role -> user e-mail); staff tokens are read-write."""
    clients = {"anonymous": TokenClient(app.test_client(), None)}
    for role, email in emails.items():
        user = db.session.scalar(select(User).where(User.email == email))
        new = create_token(user, f"matrix-{role}", can_write=not user.is_customer)
        db.session.commit()
        clients[role] = TokenClient(app.test_client(), new.secret)
    return clients


def api_values(company: Company) -> dict[str, object]:
    """URL values naming `company`'s things in the API's ids."""
    license = db.session.scalars(
        select(License).where(License.company_id == company.id).order_by(License.id)
    ).first()
    tag = db.session.scalar(
        select(Tag.name)
        .join(LicenseTag, LicenseTag.tag_id == Tag.id)
        .where(LicenseTag.license_id == license.id)
        .order_by(Tag.name)
    )
    run_id = db.session.scalar(
        select(func.max(SyncRun.id)).where(SyncRun.account_id == company.account_id)
    )
    return {
        "key": license.public_key,
        "portal_id": company.portal_id,
        "name": tag or company.name,
        "account_id": company.account_id,
        "run_id": run_id,
    }


def api_body(endpoint: str, values: dict[str, object]) -> dict | None:
    """The JSON body the matrix sends to a write route."""
    if endpoint == "api.add_license_tag":
        return {"name": "matrix probe"}
    if endpoint == "api.rename":
        return {"name": values["name"], "new_name": f"{values['name']} renamed"}
    return None
