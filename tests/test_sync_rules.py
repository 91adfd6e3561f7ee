"""What a synchronization makes of the portal: pools, tags, trees, renames, removals.

Each test imports a small sandbox account, changes the portal through the sandbox's
mutations, synchronizes in this process and looks at the database.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select, update

from mspweb.extensions import db
from mspweb.models import (
    Company,
    License,
    LicensePool,
    LicenseTag,
    PoolLicense,
    Site,
    SyncRun,
    Tag,
)
from mspweb.sync.license_user import license_user, license_user_expression
from tests.plugins.sync import dump_tables, sync_now


def _company(account, name: str) -> Company:
    return db.session.scalars(
        select(Company).where(Company.account_id == account.id, Company.name == name)
    ).one()


def _tags_by_key(account) -> dict[str, set[str]]:
    rows = db.session.execute(
        select(License.public_key, Tag.name)
        .join(LicenseTag, LicenseTag.license_id == License.id)
        .join(Tag, Tag.id == LicenseTag.tag_id)
        .where(License.account_id == account.id)
    ).all()
    tags: dict[str, set[str]] = {}
    for key, name in rows:
        tags.setdefault(key, set()).add(name)
    return tags


def _units(account) -> list[tuple[str, str, str, int, int]]:
    """(license key, pool key, license user, quantity, usage) of every license in a pool."""
    return db.session.execute(
        select(
            License.public_key,
            LicensePool.key,
            license_user_expression(),
            PoolLicense.quantity,
            PoolLicense.usage,
        )
        .join(PoolLicense, PoolLicense.license_id == License.id)
        .join(LicensePool, LicensePool.id == PoolLicense.pool_id)
        .join(Company, Company.id == LicensePool.company_id)
        .outerjoin(Site, Site.id == LicensePool.site_id)
        .where(License.account_id == account.id)
    ).all()


def test_r04_one_pool_per_company_holds_its_msp_licenses(import_demo, sandbox):
    account = import_demo()
    portal = sandbox.control.licenses("northwind")
    units = {key: (pool, quantity, usage) for key, pool, _, quantity, usage in _units(account)}
    assert len(units) == len(portal)
    for item in portal:
        assert units[item["publicLicenseKey"]] == (
            f"msp:{item['customerId']}",
            item["quantity"],
            item["usage"],
        )
    owners = {item["customerId"] for item in portal}
    pools = db.session.scalars(
        select(LicensePool.key).where(LicensePool.account_id == account.id)
    ).all()
    assert sorted(pools) == sorted(f"msp:{owner}" for owner in owners)


def test_r05_business_licenses_are_split_into_site_pools(import_demo, sandbox):
    account = import_demo(business=True)
    business = sandbox.control.business("northwind")
    wanted = Counter()
    for item in sandbox.control.licenses("northwind", portal="business"):
        for part in item["allocations"]:
            site = part["siteId"] or "-"
            wanted[(item["publicLicenseKey"], f"business:{business['companyId']}:{site}")] += part[
                "quantity"
            ]
    found = Counter()
    for key, pool, _, quantity, _ in _units(account):
        if pool.startswith("business:"):
            found[(key, pool)] += quantity
    assert found == +wanted
    sites_with_units = {pool for _, pool in wanted if not pool.endswith(":-")}
    pools = set(
        db.session.scalars(
            select(LicensePool.key).where(
                LicensePool.source == "business", LicensePool.site_id.is_not(None)
            )
        )
    )
    assert pools == sites_with_units
    company_level = db.session.scalars(
        select(LicensePool).where(LicensePool.source == "business", LicensePool.site_id.is_(None))
    ).one()
    assert company_level.key.endswith(":-")


def test_r06_every_imported_license_is_tagged_with_its_company_name(import_demo, sandbox):
    account = import_demo()
    tags = _tags_by_key(account)
    for item in sandbox.control.licenses("northwind"):
        assert tags[item["publicLicenseKey"]] == {item["customerName"]}
    origins = set(db.session.scalars(select(LicenseTag.origin)))
    assert origins == {"import"}


def test_r06_a_license_is_tagged_once_not_at_every_sync(import_demo, sandbox):
    account = import_demo()
    before = db.session.scalar(select(db.func.count()).select_from(LicenseTag))
    assert sync_now(account)["rows_written"] == 0
    assert db.session.scalar(select(db.func.count()).select_from(LicenseTag)) == before


def test_r07_company_without_licenses_is_only_in_the_computers_tree(import_demo, sandbox):
    account = import_demo()
    bare = next(
        c
        for c in sandbox.control.companies("northwind")
        if c["licenseCount"] == 0 and c["type"] == 1007
    )
    company = db.session.scalars(select(Company).where(Company.portal_id == bare["id"])).one()
    assert company.in_license_tree is False
    sandbox.control.add_license(bare["id"], quantity=5, usage=1)
    outcome = sync_now(account)
    assert outcome["licenses_added"] == 1
    db.session.refresh(company)
    assert company.in_license_tree is True


def test_r18_license_tree_holds_exactly_the_companies_with_licenses(import_demo, sandbox):
    account = import_demo(business=True)
    holders = {c["id"] for c in sandbox.control.companies("northwind") if c["licenseCount"]}
    holders.add(sandbox.control.business("northwind")["companyId"])
    in_tree = set(
        db.session.scalars(
            select(Company.portal_id).where(
                Company.account_id == account.id, Company.in_license_tree.is_(True)
            )
        )
    )
    everything = set(
        db.session.scalars(select(Company.portal_id).where(Company.account_id == account.id))
    )
    assert in_tree == holders
    assert everything - in_tree  # the Computers tree holds the others too
    for item in sandbox.control.licenses("northwind"):  # a company loses its last license
        if item["customerName"] == "Northwind MSP":
            sandbox.control.remove_license(item["publicLicenseKey"])
    sync_now(account)
    root = db.session.get(Company, account.root_company_id)
    assert root.in_license_tree is False
    business = db.session.scalars(select(Company).where(Company.source == "business")).one()
    assert (business.name, business.parent_id, business.in_license_tree) == (
        "Northwind MSP",
        root.id,
        True,
    )


def test_r08_new_company_appears_after_the_next_sync(import_demo, sandbox):
    account = import_demo()
    root = sandbox.control.root("northwind")
    added = sandbox.control.add_company(root["id"], "Brand New GmbH")["id"]
    outcome = sync_now(account)
    assert outcome["companies_added"] == 1
    company = _company(account, "Brand New GmbH")
    assert (company.portal_id, company.parent.portal_id) == (added, root["id"])
    assert company.customer_status.value == "not_set_up"
    assert company.in_license_tree is False


def test_r08_new_customers_skip_setup_when_the_account_says_so(import_demo, sandbox):
    account = import_demo()
    account.skip_setup_for_new = True
    db.session.commit()
    sandbox.control.add_company(sandbox.control.root("northwind")["id"], "Skipped Ltd")
    sync_now(account)
    assert _company(account, "Skipped Ltd").setup_state == "skipped"


def test_r09_rename_shows_the_new_name_and_keeps_the_tags(import_demo, sandbox):
    account = import_demo(business=True)
    portal = next(
        c for c in sandbox.control.companies("northwind") if c["licenseCount"] and c["type"] == 1007
    )
    tags_before = _tags_by_key(account)
    sandbox.control.rename_company(portal["id"], "Renamed & Co <b>")
    outcome = sync_now(account)
    assert outcome["companies_renamed"] == 1
    company = db.session.scalars(select(Company).where(Company.portal_id == portal["id"])).one()
    assert company.name == "Renamed & Co <b>"
    assert _tags_by_key(account) == tags_before  # the old name stays as the tag
    users = {user for _, pool, user, _, _ in _units(account) if pool == f"msp:{portal['id']}"}
    assert users == {"Renamed & Co <b>"}  # R10 follows the current name


def test_r10_license_user_names_company_and_site(import_demo, sandbox):
    account = import_demo(business=True)
    site_names = {s["siteId"]: s["name"] for s in sandbox.control.business("northwind")["sites"]}
    seen = set()
    for _, pool, user, _, _ in _units(account):
        if pool.startswith("msp:"):
            assert " / " not in user or user.count(" / ") == 0
            continue
        site = pool.rsplit(":", 1)[1]
        expected = license_user("Northwind MSP", None if site == "-" else site_names[site])
        assert user == expected
        seen.add(user)
    assert "Northwind MSP / Branch Vienna" in seen and "Northwind MSP" in seen


def test_r19_sync_never_touches_tags_a_person_edited(import_demo, sandbox):
    account = import_demo()
    licenses = db.session.scalars(
        select(License).where(License.account_id == account.id).order_by(License.id)
    ).all()
    first, second = licenses[0], licenses[1]
    # a person removes the import tag of one license and renames the tag of another
    db.session.execute(LicenseTag.__table__.delete().where(LicenseTag.license_id == first.id))
    manual = Tag(name="Renamed by a person")
    db.session.add(manual)
    db.session.flush()
    db.session.execute(
        update(LicenseTag)
        .where(LicenseTag.license_id == second.id)
        .values(tag_id=manual.id, origin="manual")
    )
    db.session.commit()
    sandbox.control.set_license(first.public_key, usage=first.usage + 1)
    sandbox.control.rename_company(
        sandbox.control.licenses("northwind")[1]["customerId"], "Another Name"
    )
    before = _tags_by_key(account)
    outcome = sync_now(account)
    assert outcome["licenses_changed"] == 1
    assert _tags_by_key(account) == before
    assert first.public_key not in before


def test_r20_removed_company_is_unlinked_and_keeps_its_licenses(import_demo, sandbox):
    account = import_demo()
    portal = next(
        c for c in sandbox.control.companies("northwind") if c["licenseCount"] and c["type"] == 1007
    )
    removed = sandbox.control.remove_company(portal["id"])
    outcome = sync_now(account)
    assert (outcome["companies_unlinked"], outcome["licenses_removed"]) == (1, 0)
    company = db.session.scalars(select(Company).where(Company.portal_id == portal["id"])).one()
    assert company.customer_status.value == "unlinked" and company.unlinked_at is not None
    kept = set(
        db.session.scalars(select(License.public_key).where(License.company_id == company.id))
    )
    assert kept == set(removed["licensesRemoved"])
    assert company.in_license_tree is True  # its licenses stay visible, as unlinked
    assert sync_now(account)["rows_written"] == 0


def test_r20_license_removed_from_a_present_company_is_deleted(import_demo, sandbox):
    account = import_demo()
    key = sandbox.control.licenses("northwind")[3]["publicLicenseKey"]
    sandbox.control.remove_license(key)
    outcome = sync_now(account)
    assert outcome["licenses_removed"] == 1
    assert db.session.scalar(select(License.id).where(License.public_key == key)) is None


def test_r20_company_that_reappears_is_relinked(import_demo, sandbox):
    account = import_demo()
    company = _company(account, sandbox.control.licenses("northwind")[2]["customerName"])
    company.unlinked_at = db.func.now()
    db.session.commit()
    assert sync_now(account)["rows_written"] == 1
    db.session.refresh(company)
    assert company.unlinked_at is None


def test_license_that_moved_company_moves_pool(import_demo, sandbox):
    account = import_demo()
    item = sandbox.control.licenses("northwind")[4]
    other = next(
        c
        for c in sandbox.control.companies("northwind")
        if c["licenseCount"] == 0 and c["type"] == 1007
    )
    # the console believes the license is elsewhere (as if the portal moved it since)
    wrong_company = db.session.scalars(
        select(Company).where(Company.portal_id == other["id"])
    ).one()
    wrong_pool = LicensePool(
        account_id=account.id, company_id=wrong_company.id, source="msp", key=f"msp:{other['id']}"
    )
    db.session.add(wrong_pool)
    db.session.flush()
    license_row = db.session.scalars(
        select(License).where(License.public_key == item["publicLicenseKey"])
    ).one()
    license_row.company_id = wrong_company.id
    db.session.execute(
        update(PoolLicense)
        .where(PoolLicense.license_id == license_row.id)
        .values(pool_id=wrong_pool.id)
    )
    db.session.commit()
    outcome = sync_now(account)
    assert outcome["licenses_changed"] == 1
    units = [
        (pool, quantity)
        for key, pool, _, quantity, _ in _units(account)
        if key == item["publicLicenseKey"]
    ]
    assert units == [(f"msp:{item['customerId']}", item["quantity"])]


def test_resync_without_changes_writes_no_rows(import_demo, sandbox):
    account = import_demo(business=True)
    before = dump_tables()
    outcome = sync_now(account)
    assert outcome["status"] == "succeeded"
    assert (outcome["rows_written"], outcome["licenses_added"], outcome["licenses_changed"]) == (
        0,
        0,
        0,
    )
    assert dump_tables() == before
    run = db.session.get(SyncRun, outcome["run_id"])
    assert run.status == "succeeded" and run.portal_calls > 0


def test_changed_usage_updates_the_license_and_its_units(import_demo, sandbox):
    account = import_demo(business=True)
    msp_key = sandbox.control.licenses("northwind")[0]["publicLicenseKey"]
    sandbox.control.set_license(msp_key, usage=999)
    outcome = sync_now(account)
    assert outcome["licenses_changed"] == 1
    assert outcome["rows_written"] == 2  # the license and its units in the pool
    usage = db.session.scalar(
        select(PoolLicense.usage).join(License).where(License.public_key == msp_key)
    )
    assert usage == 999
