"""Early writes (R21): a sync that writes new licenses while the listing is still being read
ends with exactly the rows of one that writes everything at the end, and one that fails
after writing early leaves the database as it was.

Small chunks (``SYNC_STREAM_CHUNK``) make the sandbox's small accounts write early; the
sync runs in this process against the sandbox over HTTP, as in production.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mspweb.extensions import db
from mspweb.models import Company, License, LicensePool, LicenseTag, PoolLicense, Site, Tag
from tests.conftest import _empty_database
from tests.plugins.sync import dump_tables, sync_now


def _by_keys() -> dict[str, list[tuple]]:
    """The synchronized data with every id replaced by the portal key it stands for."""
    company_keys = {
        row.id: (row.source, row.portal_id) for row in db.session.scalars(select(Company))
    }
    site_keys = {row.id: row.portal_id for row in db.session.scalars(select(Site))}
    companies = sorted(
        (
            company_keys[row.id],
            row.name,
            company_keys.get(row.parent_id),
            row.in_license_tree,
            row.unlinked_at is None,
            row.setup_state,
        )
        for row in db.session.scalars(select(Company))
    )
    licenses = sorted(
        (
            row.public_key,
            company_keys[row.company_id],
            row.source,
            row.product_code,
            row.quantity,
            row.usage,
            row.expiration,
            row.portal_digest,
        )
        for row in db.session.scalars(select(License))
    )
    units = sorted(
        tuple(row)
        for row in db.session.execute(
            select(License.public_key, LicensePool.key, PoolLicense.quantity, PoolLicense.usage)
            .join(PoolLicense, PoolLicense.license_id == License.id)
            .join(LicensePool, LicensePool.id == PoolLicense.pool_id)
        )
    )
    pools = sorted(
        (row.key, company_keys[row.company_id], site_keys.get(row.site_id))
        for row in db.session.scalars(select(LicensePool))
    )
    tags = sorted(
        tuple(row)
        for row in db.session.execute(
            select(License.public_key, Tag.name, LicenseTag.origin)
            .join(LicenseTag, LicenseTag.license_id == License.id)
            .join(Tag, Tag.id == LicenseTag.tag_id)
        )
    )
    return {
        "companies": companies,
        "licenses": licenses,
        "units": units,
        "pools": pools,
        "tags": tags,
    }


def _first_sync(app, import_demo, chunk: int | None) -> tuple[dict, dict]:
    app.config.update(SYNC_STREAM_WRITES=True, SYNC_STREAM_CHUNK=chunk)
    account = import_demo(business=True, sync=False)
    outcome = sync_now(account)
    assert outcome["status"] == "succeeded", outcome
    return outcome, _by_keys()


def test_r21_a_first_sync_that_writes_early_ends_as_one_that_writes_at_the_end(
    app, import_demo, sandbox
):
    sandbox.control.reset(licenses=250)
    early_outcome, early = _first_sync(app, import_demo, chunk=20)
    _empty_database(app)
    late_outcome, late = _first_sync(app, import_demo, chunk=100_000)
    assert early == late
    assert len(early["licenses"]) == early_outcome["licenses_added"] > 200
    for name in ("companies_added", "licenses_added", "licenses_seen", "companies_seen"):
        assert early_outcome[name] == late_outcome[name], name


def test_r21_a_resync_after_early_writes_writes_nothing(app, import_demo, sandbox):
    sandbox.control.reset(licenses=250)
    app.config.update(SYNC_STREAM_WRITES=True, SYNC_STREAM_CHUNK=20)
    account = import_demo(business=True)
    assert sync_now(account)["rows_written"] == 0


@pytest.mark.parametrize("fault", [{"kind": "status", "status": 500}, {"kind": "truncated"}])
def test_r21_a_sync_failing_on_the_last_page_after_early_writes_leaves_nothing(
    app, import_demo, sandbox, fault
):
    sandbox.control.reset(licenses=250)  # three pages of licenses: the last one fails
    app.config.update(SYNC_STREAM_WRITES=True, SYNC_STREAM_CHUNK=20)
    account = import_demo(business=True, sync=False)
    before = dump_tables()
    sandbox.control.add_fault(path="Search/Licenses", portal="msp", last_page_only=True, **fault)
    outcome = sync_now(account)
    assert outcome["status"] == "failed"
    assert dump_tables() == before
    sandbox.control.clear_faults()
    assert sync_now(account)["licenses_added"] > 200
