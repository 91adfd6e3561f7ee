"""Helpers for the page tests: rows made directly with the models, signed-in clients per role,
and a counter of SQL statements."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import event

from mspweb.extensions import db
from mspweb.models import Account, Company, License, LicensePool, PoolLicense, SyncRun
from mspweb.models.base import utcnow
from tests.conftest import CSRFClient, login, make_user

HX = {"HX-Request": "true"}
"""Headers of a plain (not boosted) htmx request."""

_numbers = itertools.count(1)


def make_account(name: str = "Northwind MSP", **fields) -> Account:
    """An imported account (committed)."""
    number = next(_numbers)
    values = {
        "identity": f"{name.lower()}|{number}",
        "username": f"user{number}@{name.split()[0].lower()}.example",
        "password_encrypted": b"not-a-real-secret",
        "msp_url": "https://msp.portal.example",
        "kind": "msp",
    }
    values.update(fields)
    account = Account(name=name, **values)
    db.session.add(account)
    db.session.commit()
    return account


def make_company(
    account: Account, name: str, entity_type: int = 1007, parent: Company | None = None, **fields
) -> Company:
    """A company of `account` (committed)."""
    company = Company(
        account_id=account.id,
        portal_id=f"c-{next(_numbers)}",
        name=name,
        entity_type=entity_type,
        parent_id=parent.id if parent else None,
        **fields,
    )
    db.session.add(company)
    db.session.commit()
    return company


def make_licenses(
    company: Company, count: int = 1, quantity: int = 10, usage: int = 5
) -> list[License]:
    """`count` MSP-portal licenses of `company`, in its one pool (committed)."""
    pool = db.session.query(LicensePool).filter_by(company_id=company.id).first()
    if pool is None:
        pool = LicensePool(
            account_id=company.account_id,
            company_id=company.id,
            source="msp",
            key=f"msp:{company.portal_id}",
        )
        db.session.add(pool)
    licenses = []
    for _ in range(count):
        number = next(_numbers)
        item = License(
            account_id=company.account_id,
            company_id=company.id,
            source="msp",
            public_key=f"KEY-{number:06d}",
            product_code="EEA",
            product_name="Endpoint Antivirus",
            quantity=quantity,
            usage=usage,
        )
        db.session.add(item)
        db.session.flush()
        db.session.add(
            PoolLicense(pool_id=pool.id, license_id=item.id, quantity=quantity, usage=usage)
        )
        licenses.append(item)
    company.in_license_tree = True
    db.session.commit()
    return licenses


def make_run(
    account: Account, status: str = "succeeded", trigger: str = "manual", **fields
) -> SyncRun:
    """A sync run of `account` (committed); finished runs get start and end times.

    A "running" run gets a live heartbeat, as if a worker were running it (else the pages
    would rightly mark it failed: its worker died).
    """
    now = utcnow()
    values = {"started_at": now, "created_at": now}
    if status in ("succeeded", "failed"):
        values["finished_at"] = now
    values.update(fields)
    run = SyncRun(account_id=account.id, status=status, trigger=trigger, **values)
    db.session.add(run)
    db.session.commit()
    if status == "running":
        from flask import current_app

        from mspweb.sync.heartbeat import heartbeat_key

        current_app.redis.set(heartbeat_key(run.id), "1", ex=300)
    return run


def mark_synchronized(account: Account) -> None:
    """Record a first successful sync of `account` (R16)."""
    account.last_success_at = account.last_sync_at = utcnow()
    account.last_sync_status = "succeeded"
    db.session.commit()


def signed_in(
    app, role: str = "admin", company: Company | None = None, email: str | None = None
) -> CSRFClient:
    """A new browser signed in as a new user with `role` (confined to `company`)."""
    email = email or f"{role}{next(_numbers)}@msp.example"
    make_user(email, "a-long-password", role, company)
    app.test_client_class = CSRFClient
    browser = app.test_client()
    response = login(browser, email, "a-long-password")
    assert response.status_code == 302, response.text
    return browser


@dataclass
class QueryCount:
    """How many SQL statements ran inside `count_queries`."""

    statements: int = 0


@contextmanager
def count_queries() -> Iterator[QueryCount]:
    """Count the SQL statements the engine runs in the block, starting from an expired session.

    Test requests share the test's app context and so its session: without expiring it, what an
    earlier request loaded would be served from the identity map.
    """
    db.session.commit()
    db.session.expire_all()
    counter = QueryCount()

    def _count(*_args) -> None:
        """Count one statement."""
        counter.statements += 1

    event.listen(db.engine, "before_cursor_execute", _count)
    try:
        yield counter
    finally:
        event.remove(db.engine, "before_cursor_execute", _count)


def response_text(response) -> str:
    """The response's text; an XLSX workbook's XML parts (issue 10's report exports)."""
    import io
    import zipfile

    body = response.get_data()
    if response.mimetype.endswith("spreadsheetml.sheet"):
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            return "\n".join(book.read(name).decode() for name in book.namelist())
    return body.decode()
