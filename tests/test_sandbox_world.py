"""The sandbox's generated world: deterministic, and holding every case the console must face."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta

import pytest

from mspweb.sandbox.catalog import SPECIAL_NAMES
from mspweb.sandbox.faults import FaultRuleError, parse_fault_option
from mspweb.sandbox.generate import build_world
from mspweb.sandbox.world import DEMO_ACCOUNTS, World

TODAY = date(2026, 11, 20)


@pytest.fixture(scope="module")
def world() -> World:
    """The default-sized world, built once for this module."""
    return build_world(seed=3, today=TODAY)


def _northwind_tree(world: World) -> list:
    root_id = world.users[DEMO_ACCOUNTS["northwind"].username].msp_root_id
    return [world.companies[c] for c in world.subtree(root_id)]


def _snapshot(world: World) -> tuple:
    return (
        [
            (c.id, c.name, c.parent_id, c.access, tuple(c.license_keys))
            for c in world.companies.values()
        ],
        [
            (k, lic.quantity, lic.usage, lic.state, lic.expiration, lic.last_update)
            for k, lic in world.licenses.items()
        ],
    )


def test_same_seed_builds_the_same_world():
    assert _snapshot(build_world(5, 30, 200, TODAY)) == _snapshot(build_world(5, 30, 200, TODAY))


def test_another_seed_builds_another_world():
    assert _snapshot(build_world(5, 30, 200, TODAY)) != _snapshot(build_world(6, 30, 200, TODAY))


def test_resizing_the_main_account_leaves_the_others_alone():
    small, large = build_world(5, 10, 20, TODAY), build_world(5, 60, 900, TODAY)
    for account in ("fabrikam", "litware", "tailspin"):
        user_small = small.users[DEMO_ACCOUNTS[account].username]
        user_large = large.users[DEMO_ACCOUNTS[account].username]
        assert (user_small.msp_root_id, user_small.business_id) == (
            user_large.msp_root_id,
            user_large.business_id,
        )


def test_main_account_has_the_requested_size(world):
    tree = _northwind_tree(world)
    assert len(tree) == 40
    assert sum(len(c.license_keys) for c in tree) == 400
    assert tree[0].type == 1005 and tree[0].name == "Northwind MSP"
    assert 1 <= len(tree[0].license_keys) <= 5  # a few licenses on the MSP itself


def test_some_customers_have_no_licenses(world):
    customers = _northwind_tree(world)[1:]
    without = [c for c in customers if not c.license_keys]
    assert 2 <= len(without) <= len(customers) // 5


def test_names_with_unicode_html_and_formulas(world):
    names = {c.name for c in _northwind_tree(world)}
    assert set(SPECIAL_NAMES) <= names
    assert "<script>alert(1)</script> Ltd" in names
    assert any(name.startswith("=") for name in names)


def test_every_kind_of_license_exists(world):
    licenses = [world.licenses[k] for c in _northwind_tree(world) for k in c.license_keys]
    soon, today = (TODAY + timedelta(days=30)).isoformat(), TODAY.isoformat()
    assert any(lic.usage > lic.quantity for lic in licenses), "overused"
    assert {0, 1, 2, 3, 4} <= {lic.state for lic in licenses}
    assert any(lic.trial and lic.trial_expiration for lic in licenses)
    assert any(lic.expiration and today <= lic.expiration <= soon for lic in licenses)
    assert any(lic.expiration and lic.expiration < today for lic in licenses)
    assert all(not lic.trial_expiration or lic.trial for lic in licenses)


def test_license_keys_are_unique_and_well_formed(world):
    keys = list(world.licenses)
    assert len(keys) == len(set(keys))
    assert all(re.fullmatch(r"[0-9A-Z]{3}-[0-9A-Z]{3}-[0-9A-Z]{3}", key) for key in keys)
    assert any(world.licenses[k].business_id for k in keys)  # both portals share the key space


def test_business_allocations_add_up_to_the_quantity(world):
    for account in world.businesses.values():
        site_ids = {site.id for site in account.sites} | {None}
        for key in account.license_keys:
            item = world.licenses[key]
            assert sum(part.quantity for part in item.allocations) == item.quantity
            assert sum(part.usage for part in item.allocations) == item.usage
            assert {part.site_id for part in item.allocations} <= site_ids
    northwind = world.businesses[world.users["msp@northwind.example"].business_id]
    held = {p.site_id for k in northwind.license_keys for p in world.licenses[k].allocations}
    assert None in held and len(held) >= 3  # units at company level and at several sites


def test_r02_fixtures_adatum_reads_nothing_and_litware_one_customer(world):
    for account, readable in (("adatum", 0), ("litware", 1)):
        root_id = world.users[DEMO_ACCOUNTS[account].username].msp_root_id
        tree = [world.companies[c] for c in world.subtree(root_id)]
        assert sum(c.access != "NoAccess" for c in tree) == readable
        assert all(c.license_keys for c in tree[1:])


def test_large_world_builds_in_under_five_seconds():
    started = time.perf_counter()
    world = build_world(seed=1, companies=2000, licenses=50000)
    assert time.perf_counter() - started < 5
    root_id = world.users["msp@northwind.example"].msp_root_id
    assert len(world.readable_license_keys(root_id)) == 50000


def test_fault_option_accepts_json_and_name_value_pairs():
    assert parse_fault_option('{"kind": "slow", "delay": 1}') == {"kind": "slow", "delay": 1}
    assert parse_fault_option("kind=status,status=503,path=Search/Licenses,portal=null") == {
        "kind": "status",
        "status": 503,
        "path": "Search/Licenses",
        "portal": None,
    }
    with pytest.raises(FaultRuleError):
        parse_fault_option("kind")
