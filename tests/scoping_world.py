"""The world the scoping tests (R12) run in: two imported accounts, people in every role.

- Fabrikam (MSP Manager) imported and synchronized: the operator is confined to the Managed MSP
  "Fabrikam Alpine"; customer A is one of Alpine's customers; customer N ("Nordics") is a
  customer of another Managed MSP, outside the operator's subtree.
- Tailspin (business portal only) imported as its own account, with a canary site and a canary
  license added in the portal before its first synchronization; customer T is its company.

Customer A's and T's logins are made by the customer setup (R17), as in real life; customer N's
login is made directly with the user service, without a setup, so N stays "not set up" and the
administrator can still open its setup.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import func, select

from mspweb.customers.setup import SetupMode, set_up_customer
from mspweb.extensions import db
from mspweb.models import Account, Company, License, LicenseTag, SyncRun, Tag, User
from tests.conftest import CSRFClient, login, make_user

PASSWORD = "scoped-password-1"


@dataclass
class Canaries:
    """Unique strings that name only Tailspin's data: no other login may ever read them."""

    site: str = field(default_factory=lambda: f"Kestrel-Site-{secrets.token_hex(4)}")
    product: str = field(default_factory=lambda: f"Kestrel-Product-{secrets.token_hex(4)}")
    company: str = "Tailspin Toys"
    license_key: str = ""

    def all(self) -> list[str]:
        """Every canary string."""
        return [self.site, self.product, self.company, self.license_key]


@dataclass
class ScopingWorld:
    """Accounts, companies and signed-in browsers per role."""

    fabrikam: Account
    tailspin: Account
    operator_root: Company
    customer_a: Company
    customer_n: Company
    customer_t: Company
    canaries: Canaries
    clients: dict[str, CSRFClient] = field(default_factory=dict)

    def ids(self, company: Company) -> dict[str, int]:
        """URL values naming `company`'s things: company, a license, its tag, its account's
        latest run, its account, and the user confined to it."""
        license_id = db.session.scalar(
            select(func.min(License.id)).where(License.company_id == company.id)
        )
        tag_id = db.session.scalar(
            select(func.min(Tag.id))
            .join(LicenseTag, LicenseTag.tag_id == Tag.id)
            .join(License, License.id == LicenseTag.license_id)
            .where(License.company_id == company.id, Tag.name == company.name)
        )
        run_id = db.session.scalar(
            select(func.max(SyncRun.id)).where(SyncRun.account_id == company.account_id)
        )
        user_id = db.session.scalar(select(User.id).where(User.company_id == company.id))
        return {
            "company_id": company.id,
            "license_id": license_id,
            "tag_id": tag_id,
            "run_id": run_id,
            "account_id": company.account_id,
            "user_id": user_id,
        }


def build_scoping_world(app, import_demo, sandbox) -> ScopingWorld:
    """Import Fabrikam and Tailspin (with canaries), set up customers, sign everyone in."""
    canaries = Canaries()
    business_id = sandbox.control.business("tailspin")["companyId"]
    site_id = sandbox.control.add_site(business_id, canaries.site)["siteId"]
    canaries.license_key = sandbox.control.add_license(
        business_id=business_id,
        product_code="KSTRL",
        product_name=canaries.product,
        quantity=7,
        usage=3,
        allocations=[{"siteId": site_id, "quantity": 7, "usage": 3}],
    )["publicLicenseKey"]
    fabrikam = import_demo("fabrikam")
    tailspin = import_demo("tailspin", msp=False, business=True)
    alpine = _company(fabrikam, "Fabrikam Alpine")
    nordics = _company(fabrikam, "Fabrikam Nordics")
    customer_a = _customer_with_licenses(alpine)
    customer_n = _customer_with_licenses(nordics)
    customer_t = db.session.get(Company, tailspin.root_company_id)
    world = ScopingWorld(fabrikam, tailspin, alpine, customer_a, customer_n, customer_t, canaries)
    make_user("admin@scope.example", PASSWORD, "admin")
    make_user("operator@scope.example", PASSWORD, "operator", alpine)
    for key, company in (("a", customer_a), ("t", customer_t)):
        set_up_customer(
            company, SetupMode.CREATE, f"customer-{key}@scope.example", PASSWORD, None, None
        )
    db.session.commit()
    make_user("customer-n@scope.example", PASSWORD, "customer", customer_n)
    for role, email in (
        ("admin", "admin@scope.example"),
        ("operator", "operator@scope.example"),
        ("a", "customer-a@scope.example"),
        ("n", "customer-n@scope.example"),
        ("t", "customer-t@scope.example"),
    ):
        world.clients[role] = signed_in_client(app, email)
    app.test_client_class = CSRFClient
    world.clients["anonymous"] = app.test_client()
    return world


def signed_in_client(app, email: str, password: str = PASSWORD) -> CSRFClient:
    """A new browser signed in as `email`."""
    app.test_client_class = CSRFClient
    browser = app.test_client()
    response = login(browser, email, password)
    assert response.status_code == 302, (email, response.status_code)
    return browser


def _company(account: Account, name: str) -> Company:
    return db.session.scalar(
        select(Company).where(Company.account_id == account.id, Company.name == name)
    )


def _customer_with_licenses(parent: Company) -> Company:
    """The first customer of `parent` (by id) that has licenses."""
    with_licenses = select(License.company_id)
    return db.session.scalars(
        select(Company)
        .where(
            Company.parent_id == parent.id,
            Company.entity_type == 1007,
            Company.id.in_(with_licenses),
        )
        .order_by(Company.id)
    ).first()
