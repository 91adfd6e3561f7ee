"""The demo accounts of fixed size: Fabrikam, Adatum, Litware and the business-portal companies.

Only the main demo account (Northwind's MSP-portal tree, in :mod:`.generate`) is sized by
``--companies``/``--licenses``; everything here has the same shape in every world.
"""

from __future__ import annotations

import random

from . import catalog
from .generate import Builder
from .world import Allocation, BusinessAccount, Site

FABRIKAM_MSPS = ("Fabrikam Alpine", "Fabrikam Nordics", "Fabrikam Iberia", "Fabrikam Benelux")
NORTHWIND_SITES = (
    ("HQ Linz", None),
    ("Branch Vienna", None),
    ("Branch Graz", None),
    ("Warehouse Wels", "HQ Linz"),
)
TAILSPIN_SITES = (("Seattle Office", None), ("Portland Warehouse", None), ("Remote Staff", None))


def build_fixed_msp_accounts(builder: Builder, parent_id: str) -> None:
    """Fabrikam (MSP Manager), Adatum (no read access) and Litware (reads one customer)."""
    _build_fabrikam(builder, parent_id)
    _build_adatum(builder, parent_id)
    _build_litware(builder, parent_id)


def _build_fabrikam(builder: Builder, parent_id: str) -> None:
    rng = builder.rng("fabrikam")
    root = builder.company(
        rng,
        "Fabrikam Holdings",
        1004,
        parent_id,
        email="noc@fabrikam.example",
        custom_identifier="FAB",
    )
    builder.user("fabrikam", "Fabian", "Rikam", msp_root_id=root.id)
    owners = [root, root]
    names = iter(catalog.company_name(5000 + i) for i in range(100))
    for number, msp_name in enumerate(FABRIKAM_MSPS):
        msp = builder.company(
            rng, msp_name, 1006, root.id, access="Read" if number == 2 else "Write"
        )
        owners += [msp, msp]
        for index in range(5):
            customer = builder.company(rng, next(names), 1007, msp.id)
            if index != 4 or number % 2:  # two Managed MSPs have a customer without licenses
                owners += [customer] * rng.randint(2, 5)
    for _ in range(3):
        owners += [builder.company(rng, next(names), 1007, root.id)] * 4
    while len(owners) < 100:
        owners.append(rng.choice(owners[10:]))
    for owner in owners:
        builder.license(rng, company_id=owner.id)


def _build_adatum(builder: Builder, parent_id: str) -> None:
    rng = builder.rng("adatum")
    root = builder.company(
        rng, "Adatum Services", 1005, parent_id, access="NoAccess", email="it@adatum.example"
    )
    builder.user("adatum", "Ada", "Tum", msp_root_id=root.id)
    for index in range(4):
        customer = builder.company(
            rng, catalog.company_name(6000 + index), 1007, root.id, access="NoAccess"
        )
        for _ in range(3):
            builder.license(rng, company_id=customer.id)


def _build_litware(builder: Builder, parent_id: str) -> None:
    rng = builder.rng("litware")
    root = builder.company(
        rng, "Litware MSP", 1005, parent_id, access="NoAccess", email="it@litware.example"
    )
    builder.user("litware", "Lit", "Ware", msp_root_id=root.id)
    for _ in range(2):
        builder.license(rng, company_id=root.id)
    for index in range(5):
        readable = index == 2
        name = "Lucerne Publishing" if readable else catalog.company_name(7000 + index)
        customer = builder.company(
            rng, name, 1007, root.id, access="Read" if readable else "NoAccess"
        )
        for _ in range(6 if readable else 3):
            builder.license(rng, company_id=customer.id)


def build_business_accounts(builder: Builder) -> None:
    """Northwind's business-portal company (mixed account) and Tailspin Toys."""
    northwind = _business(builder, "business:northwind", "Northwind MSP", NORTHWIND_SITES, 24)
    builder.world.users["msp@northwind.example"].business_id = northwind.id
    tailspin = _business(builder, "business:tailspin", "Tailspin Toys", TAILSPIN_SITES, 12)
    builder.user("tailspin", "Tess", "Spin", business_id=tailspin.id)


def _business(
    builder: Builder,
    part: str,
    name: str,
    site_specs: tuple[tuple[str, str | None], ...],
    licenses: int,
) -> BusinessAccount:
    rng = builder.rng(part)
    account = BusinessAccount(id=builder.guid(rng), name=name)
    builder.world.businesses[account.id] = account
    by_name: dict[str, Site] = {}
    for site_name, parent_name in site_specs:
        parent = by_name[parent_name].id if parent_name else None
        by_name[site_name] = Site(id=builder.guid(rng), name=site_name, parent_site_id=parent)
        account.sites.append(by_name[site_name])
    showcase = (
        {"state": 3},
        {"trial": True, "quantity": 10, "usage": 4, "trial_expiration": 7, "expiration": None},
        {"expiration": 5},
        {"quantity": 20, "usage": 26},
    )
    for index in range(licenses):
        item = builder.license(
            rng, showcase[index] if index < len(showcase) else None, business_id=account.id
        )
        targets: list[str | None] = [site.id for site in account.sites]
        targets.append(None)
        count = 1 if index % 5 == 4 else rng.randint(1, len(targets))
        chosen = targets[-1:] if index % 7 == 3 else rng.sample(targets, count)
        item.allocations = split_units(rng, item.quantity, item.usage, chosen)
    return account


def split_units(
    rng: random.Random, quantity: int, usage: int, site_ids: list[str | None]
) -> list[Allocation]:
    """Split ``quantity`` and ``usage`` among ``site_ids``; the parts add up to the totals."""
    cuts_q = sorted(rng.randint(0, quantity) for _ in range(len(site_ids) - 1))
    quantities = [b - a for a, b in zip([0, *cuts_q], [*cuts_q, quantity], strict=True)]
    usages = []
    left = usage
    for index, part in enumerate(quantities):
        last = index == len(quantities) - 1
        used = left if last else min(left, rng.randint(0, part))
        usages.append(used)
        left -= used
    allocations = [
        Allocation(site_id=site_id, quantity=q, usage=u)
        for site_id, q, u in zip(site_ids, quantities, usages, strict=True)
    ]
    kept = [part for part in allocations if part.quantity or part.usage]
    return kept or allocations[-1:]
