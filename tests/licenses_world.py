"""A small, hand-made account for the License Management tests, written with the models.

Acme Manager (MSP Manager, 1 license)
├── Alpha MSP (Managed MSP, 1 license)
│   ├── Contoso Ltd (customer, 3 licenses; one overused, one trial)
│   └── Empty Co (customer, no licenses: not in the License Management tree, R07)
├── Beta MSP (Managed MSP, no licenses: not in the tree; its customer nests under Acme)
│   └── Fabrikam AG (customer, 2 licenses; one suspended)
└── Globex (business portal, pools per site: "Vienna" and "Graz"; 1 license split in two)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from mspweb.extensions import db
from mspweb.models import (
    Account,
    Company,
    License,
    LicensePool,
    LicenseTag,
    PoolLicense,
    Site,
    Tag,
)


def tag_names_of(key: str) -> set[str]:
    """The tag names of the license with public key `key`, read in a fresh transaction (so
    that what a request committed is seen)."""
    from sqlalchemy import select

    db.session.rollback()
    return set(
        db.session.scalars(
            select(Tag.name)
            .join(LicenseTag, LicenseTag.tag_id == Tag.id)
            .join(License, License.id == LicenseTag.license_id)
            .where(License.public_key == key)
        )
    )


@dataclass
class World:
    """The objects of the test account, by short name."""

    account: Account
    companies: dict[str, Company] = field(default_factory=dict)
    pools: dict[str, LicensePool] = field(default_factory=dict)
    licenses: dict[str, License] = field(default_factory=dict)
    tags: dict[str, Tag] = field(default_factory=dict)


def make_account(name: str = "Acme Account") -> Account:
    """An imported account (credentials are not used by these tests)."""
    account = Account(
        name=name,
        identity=f"{name.lower()}|msp|",
        username=name.lower(),
        msp_url="http://127.0.0.1:1/msp",
        password_encrypted=b"-",
    )
    db.session.add(account)
    db.session.flush()
    return account


def company(
    world: World,
    key: str,
    name: str,
    entity_type: int,
    parent: str | None,
    in_tree: bool,
    source: str = "msp",
) -> Company:
    """Add a company to the world."""
    item = Company(
        account_id=world.account.id,
        source=source,
        portal_id=f"p-{key}",
        name=name,
        entity_type=entity_type,
        in_license_tree=in_tree,
        parent_id=world.companies[parent].id if parent else None,
    )
    db.session.add(item)
    db.session.flush()
    world.companies[key] = item
    return item


def pool(world: World, key: str, company_key: str, site: Site | None = None) -> LicensePool:
    """Add a pool for a company (or one of its sites)."""
    owner = world.companies[company_key]
    item = LicensePool(
        account_id=world.account.id,
        company_id=owner.id,
        site_id=site.id if site else None,
        source="business" if owner.source == "business" else "msp",
        key=f"{owner.source}:{key}",
    )
    db.session.add(item)
    db.session.flush()
    world.pools[key] = item
    return item


def license(
    world: World,
    key: str,
    pool_keys: list[str],
    product: tuple[str, str] = ("EES", "ESET Endpoint Security"),
    quantity: int = 10,
    usage: int = 5,
    tags=(),
    **fields,
) -> License:
    """Add a license with its units in one or more pools (split evenly) and its tags."""
    owner = world.pools[pool_keys[0]].company_id
    item = License(
        account_id=world.account.id,
        company_id=owner,
        source="msp",
        public_key=key,
        product_code=product[0],
        product_name=product[1],
        quantity=quantity,
        usage=usage,
        **fields,
    )
    db.session.add(item)
    db.session.flush()
    for pool_key in pool_keys:
        share = len(pool_keys)
        db.session.add(
            PoolLicense(
                pool_id=world.pools[pool_key].id,
                license_id=item.id,
                quantity=quantity // share,
                usage=usage // share,
            )
        )
    for name in tags:
        tag = world.tags.get(name)
        if tag is None:
            tag = world.tags[name] = Tag(name=name)
            db.session.add(tag)
            db.session.flush()
        db.session.add(LicenseTag(license_id=item.id, tag_id=tag.id, origin="import"))
    world.licenses[key] = item
    return item


def build_world() -> World:
    """The account drawn in the module docstring, committed."""
    world = World(account=make_account())
    company(world, "acme", "Acme Manager", 1004, None, True)
    company(world, "alpha", "Alpha MSP", 1006, "acme", True)
    company(world, "contoso", "Contoso Ltd", 1007, "alpha", True)
    company(world, "empty", "Empty Co", 1007, "alpha", False)
    company(world, "beta", "Beta MSP", 1006, "acme", False)
    company(world, "fabrikam", "Fabrikam AG", 1007, "beta", True)
    company(world, "globex", "Globex", 1007, "acme", True, source="business")
    vienna = Site(
        account_id=world.account.id,
        company_id=world.companies["globex"].id,
        portal_id="s-vienna",
        name="Vienna",
    )
    graz = Site(
        account_id=world.account.id,
        company_id=world.companies["globex"].id,
        portal_id="s-graz",
        name="Graz",
    )
    db.session.add_all([vienna, graz])
    db.session.flush()
    for key in ("acme", "alpha", "contoso", "fabrikam"):
        pool(world, key, key)
    pool(world, "globex-vienna", "globex", vienna)
    pool(world, "globex-graz", "globex", graz)
    today = date.today()
    license(world, "AAA-MGR-001", ["acme"], tags=["Acme Manager"])
    license(
        world,
        "AAA-MSP-001",
        ["alpha"],
        tags=["Alpha MSP"],
        product=("EPC", "ESET PROTECT Complete"),
    )
    license(world, "CON-001", ["contoso"], quantity=10, usage=14, tags=["Contoso Ltd", "vip"])
    license(
        world,
        "CON-002",
        ["contoso"],
        trial=True,
        quantity=25,
        usage=3,
        trial_expiration=today + timedelta(days=20),
        tags=["Contoso Ltd"],
    )
    license(
        world,
        "CON-003",
        ["contoso"],
        expiration=today + timedelta(days=400),
        product=("EFS", "ESET File Security"),
        tags=["Contoso Ltd"],
    )
    license(world, "FAB-001", ["fabrikam"], state=3, tags=["Fabrikam AG"])
    license(
        world,
        "FAB-002",
        ["fabrikam"],
        expiration=today + timedelta(days=10),
        tags=["Fabrikam AG", "vip"],
    )
    license(
        world, "GLX-001", ["globex-vienna", "globex-graz"], quantity=20, usage=10, tags=["Globex"]
    )
    db.session.commit()
    return world
