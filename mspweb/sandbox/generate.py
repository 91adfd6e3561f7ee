"""Build a deterministic :class:`~mspweb.sandbox.world.World` from a seed.

Each part of the world draws from its own random source seeded with ``"<seed>:<part>"``, so
resizing the main demo account never changes the other accounts. Dates are relative to
``today`` (default: the real today), so "expiring soon" stays soon.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta

from . import catalog
from .world import DEMO_ACCOUNTS, Company, License, User, World

DEFAULT_SEED = 1
DEFAULT_COMPANIES = 40
DEFAULT_LICENSES = 400

#: Attributes forced on the main account's first customer licenses, so that every kind of
#: license exists whatever the world's size. Day offsets are relative to today.
SHOWCASE: tuple[dict, ...] = (
    {"quantity": 25, "usage": 31, "state": 1},  # overused
    {"state": 3},  # suspended
    {"state": 0},  # error
    {"state": 4},  # warning
    {"state": 2},  # obsolete
    {"trial": True, "quantity": 25, "usage": 8, "trial_expiration": 14, "expiration": None},
    {"expiration": 10, "state": 1},  # expiring soon
    {"expiration": -20, "state": 4},  # expired
)


class Builder:
    """Creates companies, licenses and users in a world, with seeded randomness."""

    def __init__(self, world: World, today: date) -> None:
        self.world = world
        self.today = today
        self._keys: set[str] = set(world.licenses)

    def rng(self, part: str) -> random.Random:
        """A random source for one part of the world."""
        return random.Random(f"{self.world.seed}:{part}")

    @staticmethod
    def guid(rng: random.Random) -> str:
        """A GUID drawn from ``rng``."""
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def day(self, offset: int) -> str:
        """ISO date ``offset`` days from today."""
        return (self.today + timedelta(days=offset)).isoformat()

    def company(
        self, rng: random.Random, name: str, type_: int, parent_id: str | None, **fields
    ) -> Company:
        """Create a company under ``parent_id`` and index it."""
        company_id = self.guid(rng)
        fields.setdefault("email", catalog.email_for(name, f"c{len(self.world.companies)}"))
        company = Company(id=company_id, name=name, type=type_, parent_id=parent_id, **fields)
        self.world.companies[company_id] = company
        if parent_id is not None:
            self.world.companies[parent_id].children.append(company_id)
        return company

    def license_key(self, rng: random.Random) -> str:
        """A new license key like ``3AB-7KD-X2P``, unique in the world."""
        while True:
            chars = "".join(rng.choices(catalog.KEY_ALPHABET, k=9))
            key = f"{chars[:3]}-{chars[3:6]}-{chars[6:]}"
            if key not in self._keys:
                self._keys.add(key)
                return key

    def license_fields(self, rng: random.Random) -> dict:
        """Random but plausible license attributes."""
        code, name = rng.choice(catalog.PRODUCTS)
        quantity = rng.choice(catalog.QUANTITIES)
        usage = int(quantity * rng.uniform(0.2, 1.0))
        if rng.random() < 0.06:
            usage = quantity + rng.randint(1, max(1, quantity // 5))
        state = rng.choices((1, 4, 0, 2, 3), weights=(80, 6, 3, 4, 7))[0]
        fields = {
            "product_code": code,
            "product_name": name,
            "quantity": quantity,
            "usage": usage,
            "state": state,
            "trial": False,
            "trial_expiration": None,
            "expiration": None,
        }
        if rng.random() < 0.08:
            fields.update(
                trial=True,
                quantity=25,
                usage=min(usage, 25),
                trial_expiration=self.day(rng.randint(-5, 30)),
            )
        elif rng.random() < 0.35:
            fields["expiration"] = self.day(rng.randint(-60, 730))
        stamp = datetime.combine(self.today, time()) - timedelta(
            days=rng.randint(0, 30), seconds=rng.randint(0, 86399)
        )
        fields["last_update"] = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
        return fields

    def license(self, rng: random.Random, overrides: dict | None = None, **owner) -> License:
        """Create a license owned by ``company_id=`` or ``business_id=`` and index it."""
        fields = self.license_fields(rng)
        for name, value in (overrides or {}).items():
            is_day = name in ("expiration", "trial_expiration") and isinstance(value, int)
            fields[name] = self.day(value) if is_day else value
        item = License(key=self.license_key(rng), **fields, **owner)
        self.world.licenses[item.key] = item
        if item.company_id is not None:
            self.world.companies[item.company_id].license_keys.append(item.key)
        else:
            self.world.businesses[item.owner_id].license_keys.append(item.key)
        return item

    def user(self, account: str, first_name: str, last_name: str, **roots) -> User:
        """Create the login of demo account ``account`` (a key of DEMO_ACCOUNTS)."""
        demo = DEMO_ACCOUNTS[account]
        user = User(
            username=demo.username,
            password=demo.password,
            id=self.guid(self.rng(f"user:{account}")),
            first_name=first_name,
            last_name=last_name,
            **roots,
        )
        self.world.users[user.username] = user
        return user


def build_northwind_msp(builder: Builder, parent_id: str, companies: int, licenses: int) -> None:
    """The main demo account's MSP-portal tree: root plus ``companies - 1`` customers."""
    rng = builder.rng("northwind")
    root = builder.company(
        rng,
        "Northwind MSP",
        1005,
        parent_id,
        email="ops@northwind.example",
        custom_identifier="NW-ROOT",
    )
    builder.user("northwind", "Nora", "Wind", msp_root_id=root.id)
    customers = []
    for index in range(max(0, companies - 1)):
        special = index < len(catalog.SPECIAL_NAMES)
        name = catalog.SPECIAL_NAMES[index] if special else catalog.company_name(index)
        status = 2 if index % 17 == 16 else 3 if index % 23 == 22 else 1
        customers.append(
            builder.company(
                rng,
                name,
                1007,
                root.id,
                status=status,
                access="Read" if rng.random() < 0.2 else "Write",
                custom_identifier=f"NW-{index + 1:04d}" if rng.random() < 0.5 else None,
            )
        )
    unlicensed = {i for i in range(len(customers)) if i % 10 == 9}
    if not unlicensed and len(customers) >= 2:
        unlicensed = {len(customers) - 1}
    licensed = [c for i, c in enumerate(customers) if i not in unlicensed]
    on_root = licenses if not licensed else min(5, max(1, licenses // 100), licenses)
    owners = [root] * on_root
    owners += licensed[: licenses - on_root]
    owners += [rng.choice(licensed) for _ in range(licenses - len(owners))]
    for index, owner in enumerate(owners):
        showcase = index - on_root
        extra = SHOWCASE[showcase] if 0 <= showcase < len(SHOWCASE) else None
        builder.license(rng, extra, company_id=owner.id)


def build_world(
    seed: int = DEFAULT_SEED,
    companies: int = DEFAULT_COMPANIES,
    licenses: int = DEFAULT_LICENSES,
    today: date | None = None,
) -> World:
    """Generate the whole sandbox world; the same arguments always give the same world."""
    from .accounts import build_business_accounts, build_fixed_msp_accounts

    world = World(seed=seed)
    builder = Builder(world, today or date.today())
    rng = builder.rng("top")
    hq = builder.company(rng, "ESET HQ", 1001, None, email="hq@vendor.example")
    distributor = builder.company(
        rng, "Contoso Distribution", 1002, hq.id, email="sales@contoso.example"
    )
    builder.user("contoso", "Conrad", "Distri", msp_root_id=distributor.id)
    build_northwind_msp(builder, distributor.id, companies, licenses)
    build_fixed_msp_accounts(builder, distributor.id)
    build_business_accounts(builder)
    world.built_on = builder.today.isoformat()
    world.fixed_today = today.isoformat() if today else None  # licenses' history: usage.py
    world.changed()
    return world
