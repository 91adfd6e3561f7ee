"""The API's request and response models (pydantic): they validate and they are the OpenAPI.

Query models forbid unknown parameters, so a typo is a 400 naming it, never a silent default.
Times are ISO 8601 in UTC, dates ISO 8601 days.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mspweb.licenses.filters import SORT_KEYS
from mspweb.licenses.status import STATUSES
from mspweb.params import MAX_INT

LicenseStatus = Literal[
    "unlinked", "suspended", "expired", "overused", "trial", "expiring", "normal"
]
LicenseSort = Literal["key", "product", "user", "units", "expiration", "status", "tags", "pool"]
# The License Management page's names, spelled out for the type checker: they must agree.
assert LicenseStatus.__args__ == tuple(STATUSES)  # type: ignore[attr-defined]
assert LicenseSort.__args__ == SORT_KEYS  # type: ignore[attr-defined]
CustomerStatusName = Literal["not_set_up", "set_up", "unlinked"]
SyncStatusName = Literal["queued", "running", "succeeded", "failed"]
Id = Field(ge=1, le=MAX_INT)


class Strict(BaseModel):
    """A model that refuses members it does not know."""

    model_config = ConfigDict(extra="forbid")


# -- problems -------------------------------------------------------------------------------
class ParameterError(BaseModel):
    """One invalid parameter or body member."""

    parameter: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details (`application/problem+json`)."""

    type: str = Field(description="Stable problem type, e.g. urn:mspweb:problem:not-found")
    title: str
    status: int
    detail: str
    instance: str | None = None
    parameter: str | None = Field(None, description="The first invalid parameter, if any")
    errors: list[ParameterError] | None = None


# -- paging ---------------------------------------------------------------------------------
class PageQuery(Strict):
    """Page paging: `page` (from 1) and `per_page`."""

    page: int = Field(1, ge=1, le=100000)
    per_page: int = Field(50, ge=1, le=200)


class PageInfo(BaseModel):
    """Where a page stands: its number, size, the total, and the URL of the next page."""

    page: int
    per_page: int
    total: int
    next: str | None = Field(description="URL of the next page, null on the last one")


# -- accounts and sync runs -------------------------------------------------------------------
class SyncRunOut(BaseModel):
    """A synchronization run, with its phase and counts."""

    id: int
    account_id: int
    trigger: str
    status: SyncStatusName
    phase: str | None
    progress_done: int
    progress_total: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    counts: dict[str, int | float]
    url: str


class SyncRunList(PageInfo):
    """A page of sync runs, newest first."""

    items: list[SyncRunOut]


class SyncQuery(PageQuery):
    """Filters of the sync run list."""

    account: int | None = Field(None, ge=1, le=MAX_INT)
    status: SyncStatusName | None = None


class AccountOut(BaseModel):
    """An imported portal account (credentials never leave the console)."""

    id: int
    name: str
    kind: str
    state: str
    msp_url: str | None
    business_url: str | None
    username: str
    created_at: datetime
    last_sync_at: datetime | None
    last_sync_status: str | None
    last_success_at: datetime | None
    credentials_valid: bool
    pools: int
    licenses: int
    latest_run: SyncRunOut | None


class AccountList(BaseModel):
    """Every imported account, by name."""

    items: list[AccountOut]


# -- companies ------------------------------------------------------------------------------
class CompanyQuery(PageQuery):
    """Filters of the company list (as on Managed Customers, and the account)."""

    q: str | None = Field(None, max_length=200)
    status: CustomerStatusName | None = None
    account: int | None = Field(None, ge=1, le=MAX_INT)
    customers_only: bool = False


class CompanyOut(BaseModel):
    """A company of a portal tree, with its customer status (R15)."""

    portal_id: str
    account_id: int
    source: str
    name: str
    type: str
    customer_status: CustomerStatusName
    parent_portal_id: str | None
    email: str | None
    custom_identifier: str | None
    first_seen_at: datetime
    unlinked_at: datetime | None
    url: str


class CompanyList(PageInfo):
    """A page of companies, by name."""

    items: list[CompanyOut]


class CompanyDetail(CompanyOut):
    """A company with its license figures."""

    licenses: int
    used: int
    units: int


# -- licenses -------------------------------------------------------------------------------
class LicenseFilterQuery(Strict):
    """License Management's filters and search, in the API's ids (a company by portal id)."""

    company: str | None = Field(None, max_length=64, description="A company's portal id")
    account: int | None = Field(None, ge=1, le=MAX_INT)
    tag: str | None = Field(None, max_length=100)
    status: LicenseStatus | None = None
    product: str | None = Field(None, max_length=64, description="A product code")
    q: str | None = Field(None, max_length=100)


class LicenseQuery(LicenseFilterQuery):
    """The License Management filters, search, sort and paging."""

    sort: LicenseSort = "key"
    dir: Literal["asc", "desc"] = "asc"
    page: int = Field(1, ge=1, le=100000)
    per_page: int = Field(50, ge=1, le=200)


class LicenseRow(BaseModel):
    """A license in one pool: a row of the License Management table."""

    key: str
    product_code: str
    product_name: str
    license_user: str
    used: int
    units: int
    status: LicenseStatus
    trial: bool
    end_date: date | None
    account_id: int
    company_portal_id: str
    pool_source: str
    tags: list[str]
    url: str


class LicenseList(PageInfo):
    """A page of the License Management table."""

    items: list[LicenseRow]


class PoolUnits(BaseModel):
    """A license's units in one pool."""

    source: str
    company_portal_id: str
    site: str | None
    license_user: str
    used: int
    units: int
    status: LicenseStatus


class LicenseDetail(BaseModel):
    """A license with its pools, units, License User and tags."""

    key: str
    account_id: int
    company_portal_id: str
    source: str
    product_code: str
    product_name: str
    quantity: int
    usage: int
    state: int
    trial: bool
    trial_expiration: date | None
    expiration: date | None
    first_seen_at: datetime
    pools: list[PoolUnits]
    tags: list[str]
    url: str


class TagBody(Strict):
    """A tag to add to a license (R19: a plain name)."""

    name: str = Field(min_length=1, max_length=100)


class TagRenameBody(Strict):
    """Rename a tag on every license that carries it (R09)."""

    name: str = Field(min_length=1, max_length=100)
    new_name: str = Field(min_length=1, max_length=100)


class TagOut(BaseModel):
    """A tag with how many licenses the token's user sees carrying it."""

    name: str
    licenses: int


class TagQuery(PageQuery):
    """Search within tag names."""

    q: str | None = Field(None, max_length=100)
    per_page: int = Field(100, ge=1, le=200)


class TagList(PageInfo):
    """A page of tags, by name."""

    items: list[TagOut]


class TagRenamed(BaseModel):
    """The outcome of a rename."""

    name: str
    licenses: int
    merged: bool


# -- audit ----------------------------------------------------------------------------------
class AuditQuery(PageQuery):
    """Filters of the audit log."""

    action: str | None = Field(None, max_length=64)


class AuditOut(BaseModel):
    """One audited action."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    outcome: str
    details: dict | None


class AuditList(PageInfo):
    """A page of the audit log, newest first."""

    items: list[AuditOut]


class Empty(Strict):
    """No body, no parameters."""
