"""The sync engine's rules, one small test each: hand-built Snapshots applied directly to the
database the suite runs on (SQLite by default, PostgreSQL with DATABASE_URL), no HTTP.

Each test applies one or two snapshots with :func:`mspweb.sync.engine.apply_snapshot` in a
transaction of its own, as the runner does, and reads the rows back.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from sqlalchemy import select

from mspweb.extensions import db
from mspweb.models import Company, License, LicensePool, LicenseTag, PoolLicense, Site, Tag
from mspweb.sync.counts import SyncCounts
from mspweb.sync.engine import apply_snapshot, begin_apply, finish_apply, stream_licenses
from mspweb.sync.snapshot import CompanyRecord, LicenseRecord, SiteRecord, Snapshot, license_digest
from tests.page_helpers import make_account

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)
MSP_MANAGER, CUSTOMER = 1004, 1007


def company(portal_id: str, name: str, parent: str | None = "root", kind: int = CUSTOMER):
    """An MSP company record (the root has no parent and can have children)."""
    return CompanyRecord(portal_id, name, kind, 1, None, "read", parent)


ROOT = company("root", "Northwind MSP", None, MSP_MANAGER)


def msp_license(key: str, owner: str, quantity: int = 5, usage: int = 1, **fields):
    """An MSP-portal license of company `owner`, with its digest as the fetch computes it."""
    values = {
        "product_code": "EEA",
        "product_name": "ESET Endpoint Antivirus",
        "quantity": quantity,
        "usage": usage,
        "state": 1,
        "trial": False,
        "trial_expiration": None,
        "expiration": date(2032, 1, 1),
        "last_update": None,
        **fields,
    }
    record = LicenseRecord(key, owner, **values)
    return record._replace(digest=license_digest(record, "msp", owner, None))


def business_license(key: str, allocations, quantity: int = 10, usage: int = 2):
    """A business-portal license with its units per site."""
    record = LicenseRecord(
        key, None, "EPB", "ESET PROTECT", quantity, usage, 1, False, None, None, None, allocations
    )
    return record._replace(digest=license_digest(record, "business", None, allocations))


def msp_snapshot(companies, licenses) -> Snapshot:
    """A complete MSP-portal snapshot: the root first, then `companies`."""
    return Snapshot(has_msp=True, companies=[ROOT, *companies], msp_licenses=list(licenses))


def apply(account_id: int, snapshot: Snapshot, now: datetime = NOW) -> SyncCounts:
    """Apply `snapshot` in one transaction, as the runner does."""
    db.session.commit()
    with db.engine.begin() as connection:
        counts, _root = apply_snapshot(connection, account_id, snapshot, now)
    return counts


def companies_by_portal_id(account_id: int) -> dict[str, Company]:
    """The account's companies, fresh from the database."""
    db.session.expire_all()
    rows = db.session.scalars(select(Company).where(Company.account_id == account_id))
    return {row.portal_id: row for row in rows}


def tags_of(license_key: str) -> list[str]:
    """The tag names on the license `license_key`."""
    return sorted(
        db.session.scalars(
            select(Tag.name)
            .join(LicenseTag, LicenseTag.tag_id == Tag.id)
            .join(License, License.id == LicenseTag.license_id)
            .where(License.public_key == license_key)
        )
    )


def pools_of(account_id: int) -> dict[str, tuple[int, int | None, list[tuple[str, int, int]]]]:
    """Each pool by key: (company id, site id, [(license key, quantity, usage)])."""
    result = {}
    for pool in db.session.scalars(select(LicensePool).where(LicensePool.account_id == account_id)):
        units = db.session.execute(
            select(License.public_key, PoolLicense.quantity, PoolLicense.usage)
            .join(License, License.id == PoolLicense.license_id)
            .where(PoolLicense.pool_id == pool.id)
            .order_by(License.public_key)
        ).all()
        result[pool.key] = (pool.company_id, pool.site_id, [tuple(unit) for unit in units])
    return result


def test_r04_each_msp_company_gets_one_pool_holding_its_licenses(app):
    account = make_account()
    apply(
        account.id,
        msp_snapshot(
            [company("a", "Acme Ltd"), company("b", "Bravo GmbH")],
            [msp_license("K1", "a", 5, 1), msp_license("K2", "a", 3, 3), msp_license("K3", "b")],
        ),
    )
    ids = {key: row.id for key, row in companies_by_portal_id(account.id).items()}
    assert pools_of(account.id) == {
        "msp:a": (ids["a"], None, [("K1", 5, 1), ("K2", 3, 3)]),
        "msp:b": (ids["b"], None, [("K3", 5, 1)]),
    }


def test_r05_business_licenses_are_split_into_one_pool_per_site_plus_company_level(app):
    account = make_account(kind="mixed", business_url="https://business.portal.example")
    snapshot = Snapshot(
        has_business=True,
        business_company=("biz", "Contoso AG"),
        sites=[SiteRecord("s1", "Vienna", None), SiteRecord("s2", "Graz", None)],
        business_licenses=[
            business_license("B1", (("s1", 4, 1), ("s2", 0, 0), (None, 6, 1))),
            business_license("B2", (("s2", 2, 2),), quantity=2, usage=2),
        ],
    )
    counts = apply(account.id, snapshot)
    db.session.expire_all()
    biz = companies_by_portal_id(account.id)["biz"]
    sites = {site.portal_id: site.id for site in db.session.scalars(select(Site))}
    assert pools_of(account.id) == {
        "business:biz:s1": (biz.id, sites["s1"], [("B1", 4, 1)]),
        "business:biz:-": (biz.id, None, [("B1", 6, 1)]),
        "business:biz:s2": (biz.id, sites["s2"], [("B2", 2, 2)]),
    }
    assert (counts.companies_added, counts.licenses_added) == (1, 2)


def test_r06_a_newly_seen_license_is_tagged_once_with_its_companys_name(app):
    account = make_account()
    apply(account.id, msp_snapshot([company("a", "Acme Ltd")], [msp_license("K1", "a")]))
    assert tags_of("K1") == ["Acme Ltd"]
    apply(
        account.id,
        msp_snapshot([company("a", "Acme Ltd")], [msp_license("K1", "a"), msp_license("K2", "a")]),
    )
    assert tags_of("K1") == ["Acme Ltd"] and tags_of("K2") == ["Acme Ltd"]
    assert db.session.scalar(select(db.func.count()).select_from(Tag)) == 1


def test_r07_a_company_enters_the_license_tree_only_once_it_holds_licenses(app):
    account = make_account()
    apply(account.id, msp_snapshot([company("a", "Acme Ltd"), company("b", "Bravo")], []))
    found = companies_by_portal_id(account.id)
    assert not found["a"].in_license_tree and not found["b"].in_license_tree
    apply(
        account.id,
        msp_snapshot([company("a", "Acme Ltd"), company("b", "Bravo")], [msp_license("K", "b")]),
    )
    found = companies_by_portal_id(account.id)
    assert not found["a"].in_license_tree and found["b"].in_license_tree


def test_r08_a_company_added_in_the_portal_appears_with_its_parent(app):
    account = make_account()
    apply(account.id, msp_snapshot([company("a", "Acme Ltd", kind=1005)], []))
    counts = apply(
        account.id,
        msp_snapshot([company("a", "Acme Ltd", kind=1005), company("c", "Child Co", "a")], []),
    )
    found = companies_by_portal_id(account.id)
    assert counts.companies_added == 1
    assert found["c"].name == "Child Co" and found["c"].parent_id == found["a"].id
    assert found["c"].first_seen_at is not None


def test_r09_a_rename_changes_the_name_and_leaves_the_tags(app):
    account = make_account()
    apply(account.id, msp_snapshot([company("a", "Acme Ltd")], [msp_license("K1", "a")]))
    counts = apply(
        account.id, msp_snapshot([company("a", "Acme Holding")], [msp_license("K1", "a")])
    )
    assert counts.companies_renamed == 1
    assert companies_by_portal_id(account.id)["a"].name == "Acme Holding"
    assert tags_of("K1") == ["Acme Ltd"]


def test_r18_every_company_is_mirrored_whatever_its_licenses(app):
    account = make_account()
    apply(
        account.id,
        msp_snapshot(
            [company("m", "Managed MSP", kind=1006), company("x", "Customer X", "m")],
            [msp_license("K", "x")],
        ),
    )
    found = companies_by_portal_id(account.id)
    assert set(found) == {"root", "m", "x"}  # the Computers tree: the whole structure
    assert [key for key, row in sorted(found.items()) if row.in_license_tree] == ["x"]
    assert found["x"].parent_id == found["m"].id and found["m"].parent_id == found["root"].id


def test_r19_a_later_sync_never_overwrites_a_tag_a_person_edited(app):
    account = make_account()
    apply(account.id, msp_snapshot([company("a", "Acme Ltd")], [msp_license("K1", "a")]))
    tag = db.session.scalar(select(Tag).where(Tag.name == "Acme Ltd"))
    tag.name = "Key account"
    db.session.commit()
    counts = apply(
        account.id,
        msp_snapshot([company("a", "Acme Renamed")], [msp_license("K1", "a", quantity=9)]),
    )
    assert counts.licenses_changed == 1
    assert tags_of("K1") == ["Key account"]


def test_r20_a_company_gone_from_the_portal_is_unlinked_and_keeps_its_licenses(app):
    account = make_account()
    apply(
        account.id,
        msp_snapshot([company("a", "Acme"), company("b", "Bravo")], [msp_license("K", "b")]),
    )
    counts = apply(account.id, msp_snapshot([company("a", "Acme")], []))
    found = companies_by_portal_id(account.id)
    assert counts.companies_unlinked == 1 and counts.licenses_removed == 0
    assert found["b"].unlinked_at is not None and found["a"].unlinked_at is None
    assert db.session.scalar(select(License.company_id).where(License.public_key == "K")) == (
        found["b"].id
    )


def test_a_snapshot_applied_twice_writes_nothing_the_second_time(app):
    account = make_account()
    snapshot = msp_snapshot([company("a", "Acme")], [msp_license("K1", "a")])
    assert apply(account.id, snapshot).rows_written > 0
    assert apply(account.id, snapshot).rows_written == 0


def _stream_apply(account_id: int, snapshot: Snapshot, chunk: int) -> SyncCounts:
    """Apply `snapshot` as the runner does with early writes: new licenses chunk by chunk
    while the listing is read (the snapshot grows), then the rest once it is complete."""
    db.session.commit()
    listing, snapshot.msp_licenses = snapshot.msp_licenses, []
    with db.engine.begin() as connection:
        state = begin_apply(connection, account_id, snapshot, NOW)
        for start in range(0, len(listing), chunk):
            records = listing[start : start + chunk]
            snapshot.msp_licenses.extend(records)
            stream_licenses(state, records)
        counts, _root = finish_apply(state)
    return counts


def _rows(account_id: int) -> dict[str, list[tuple]]:
    """The account's data as the UI sees it (ids replaced by the keys they stand for)."""
    db.session.expire_all()
    found = companies_by_portal_id(account_id)
    names = {row.id: key for key, row in found.items()}
    companies = sorted(
        (key, row.name, names.get(row.parent_id), row.in_license_tree, row.unlinked_at)
        for key, row in found.items()
    )
    licenses = sorted(
        (
            row.public_key,
            names[row.company_id],
            row.quantity,
            row.portal_digest,
            tags_of(row.public_key),
        )
        for row in db.session.scalars(select(License).where(License.account_id == account_id))
    )
    pools = sorted(
        (key, names[company_id], site, units)
        for key, (company_id, site, units) in pools_of(account_id).items()
    )
    return {"companies": companies, "licenses": licenses, "pools": pools}


def test_r21_new_licenses_written_early_end_as_one_apply_would_write_them(app):
    """The early writes of a first sync (and of the new licenses of a later one) leave the
    same rows as applying the complete snapshot at once, counts included."""
    first = msp_snapshot(
        [company("a", "Acme"), company("b", "Bravo"), company("c", "Charlie")],
        [msp_license(f"K{n:03}", "abc"[n % 3], quantity=n) for n in range(30)],
    )
    later = msp_snapshot(
        [company("a", "Acme"), company("b", "Bravo Renamed"), company("d", "Delta")],
        [msp_license(f"K{n:03}", "abd"[n % 3], quantity=n) for n in range(10, 45)],
    )
    at_once, streamed = make_account("At once"), make_account("Streamed")
    for snapshot_of in (lambda: first, lambda: later):
        whole = apply(at_once.id, snapshot_of())
        early = _stream_apply(streamed.id, Snapshot(**vars(snapshot_of())), chunk=7)
        assert _rows(at_once.id) == _rows(streamed.id)
        # rows_written differs: tag names are shared by accounts (the second finds them), and
        # a company written early is updated once its licenses are known (R07).
        assert replace(whole, rows_written=0) == replace(early, rows_written=0)


def test_r21_a_sync_that_fails_after_early_writes_leaves_nothing(app):
    account = make_account()
    snapshot = msp_snapshot([company("a", "Acme")], [msp_license(f"K{n}", "a") for n in range(9)])
    db.session.commit()
    with db.engine.connect() as connection:
        transaction = connection.begin()
        state = begin_apply(connection, account.id, snapshot, NOW)
        stream_licenses(state, snapshot.msp_licenses)
        assert connection.scalar(select(db.func.count()).select_from(License)) == 9
        transaction.rollback()
    assert db.session.scalar(select(db.func.count()).select_from(License)) == 0
    assert companies_by_portal_id(account.id) == {}
