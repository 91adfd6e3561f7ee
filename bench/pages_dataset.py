"""A large, realistic account for the page benchmark, written with bulk Core inserts.

One account: an MSP Manager with Managed MSPs and customers (the sandbox's shape), licenses
spread over the customers' pools (some business-portal pools split by site), one tag per
license naming its company (R06) plus a few hand-made tags, some unlinked companies and a
tenth of the customers without licenses (R07). Deterministic for a given seed.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, insert, select, text

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
from mspweb.sandbox import catalog

BENCH_ACCOUNT = "Bench MSP Manager"
MANUAL_TAGS = ("renewal-q3", "vip", "migrate-to-complete", "audit 2026")
CHUNK = 5000


def dataset_present(companies: int, licenses: int) -> bool:
    """True when the database already holds the benchmark account at this size."""
    account_id = db.session.scalar(select(Account.id).where(Account.name == BENCH_ACCOUNT))
    if account_id is None:
        return False
    found = db.session.scalar(
        select(func.count(License.id)).where(License.account_id == account_id)
    )
    return found == licenses


def build_dataset(companies: int = 2000, licenses: int = 50_000, seed: int = 1) -> None:
    """Insert the benchmark account (into an empty database)."""
    rng = random.Random(seed)
    today = date.today()
    synchronized = datetime.now(UTC)
    db.session.execute(
        insert(Account),
        [
            {
                "id": 1,
                "name": BENCH_ACCOUNT,
                "identity": "bench|msp|",
                "username": "bench",
                "msp_url": "http://127.0.0.1:5050/msp",
                "password_encrypted": b"-",
                "kind": "mixed",
                "last_sync_at": synchronized,
                "last_success_at": synchronized,
                "last_sync_status": "succeeded",
            }
        ],
    )
    rows = _companies(companies, rng)
    licensed = [row["id"] for row in rows[1:] if row["in_license_tree"]]
    pools, sites, pool_of = _pools(licensed, rng)
    _insert(Company, rows)
    _insert(Site, sites)
    _insert(LicensePool, pools)
    names = {row["id"]: row["name"] for row in rows}
    tag_ids = {
        name: index + 1
        for index, name in enumerate(sorted({names[c] for c in [1, *licensed]} | set(MANUAL_TAGS)))
    }
    _insert(Tag, [{"id": tag_id, "name": name} for name, tag_id in tag_ids.items()])
    license_rows, pool_rows, tag_rows = [], [], []
    for license_id in range(1, licenses + 1):
        company_id = licensed[license_id % len(licensed)] if license_id > 20 else rows[0]["id"]
        license_rows.append(_license(license_id, company_id, rng, today))
        pool_id = rng.choice(pool_of.get(company_id, [1]))
        row = license_rows[-1]
        pool_rows.append(
            {
                "id": license_id,
                "pool_id": pool_id,
                "license_id": license_id,
                "quantity": row["quantity"],
                "usage": row["usage"],
            }
        )
        tag_rows.append(
            {"license_id": license_id, "tag_id": tag_ids[names[company_id]], "origin": "import"}
        )
        if rng.random() < 0.05:
            tag_rows.append(
                {
                    "license_id": license_id,
                    "tag_id": tag_ids[rng.choice(MANUAL_TAGS)],
                    "origin": "manual",
                }
            )
    _insert(License, license_rows)
    _insert(PoolLicense, pool_rows)
    _insert(LicenseTag, tag_rows)
    db.session.execute(text("UPDATE account SET root_company_id = 1 WHERE id = 1"))
    db.session.commit()
    _reset_sequences()


def _companies(count: int, rng: random.Random) -> list[dict]:
    rows = [_company(1, "Bench MSP Manager", 1004, None, True)]
    msps = max(1, count // 100)
    for index in range(msps):
        rows.append(_company(2 + index, f"Managed MSP {index + 1:02d}", 1006, 1, True))
    for index in range(count - 1 - msps):
        company_id = 2 + msps + index
        parent = 1 if index % 50 == 0 else 2 + (index % msps)
        licensed = index % 10 != 9
        unlinked = rng.random() < 0.02
        rows.append(
            _company(company_id, catalog.company_name(index), 1007, parent, licensed, unlinked)
        )
    return rows


def _company(
    company_id: int,
    name: str,
    entity_type: int,
    parent: int | None,
    licensed: bool,
    unlinked: bool = False,
) -> dict:
    return {
        "id": company_id,
        "account_id": 1,
        "source": "msp",
        "portal_id": f"bench-{company_id}",
        "name": name,
        "entity_type": entity_type,
        "parent_id": parent,
        "portal_status": 1,
        "in_license_tree": licensed,
        "setup_state": "not_set_up",
        "unlinked_at": datetime(2026, 1, 1, tzinfo=UTC) if unlinked else None,
    }


def _pools(licensed: list[int], rng: random.Random):
    pools = [{"id": 1, "account_id": 1, "company_id": 1, "source": "msp", "key": "msp:bench-1"}]
    sites, pool_of = [], {1: [1]}
    for company_id in licensed:
        if rng.random() < 0.03:  # a business-portal company, split by site (R05)
            for number in (1, 2):
                site_id = len(sites) + 1
                sites.append(
                    {
                        "id": site_id,
                        "account_id": 1,
                        "company_id": company_id,
                        "portal_id": f"site-{site_id}",
                        "name": f"Branch {number}",
                    }
                )
                pools.append(
                    {
                        "id": len(pools) + 1,
                        "account_id": 1,
                        "company_id": company_id,
                        "site_id": site_id,
                        "source": "business",
                        "key": f"business:bench-{company_id}:site-{site_id}",
                    }
                )
                pool_of.setdefault(company_id, []).append(len(pools))
            continue
        pools.append(
            {
                "id": len(pools) + 1,
                "account_id": 1,
                "company_id": company_id,
                "source": "msp",
                "key": f"msp:bench-{company_id}",
            }
        )
        pool_of[company_id] = [len(pools)]
    return pools, sites, pool_of


def _license(license_id: int, company_id: int, rng: random.Random, today: date) -> dict:
    code, name = rng.choice(catalog.PRODUCTS)
    quantity = rng.choice(catalog.QUANTITIES)
    usage = int(quantity * rng.uniform(0.2, 1.0))
    if rng.random() < 0.06:
        usage = quantity + rng.randint(1, max(1, quantity // 5))
    trial = rng.random() < 0.08
    expiration = today + timedelta(days=rng.randint(-60, 730)) if rng.random() < 0.35 else None
    key = "".join(rng.choices(catalog.KEY_ALPHABET, k=9))
    return {
        "id": license_id,
        "account_id": 1,
        "company_id": company_id,
        "source": "msp",
        "public_key": f"{key[:3]}-{key[3:6]}-{key[6:]}-{license_id:05d}",
        "product_code": code,
        "product_name": name,
        "quantity": quantity,
        "usage": usage,
        "state": rng.choices((1, 4, 0, 2, 3), weights=(80, 6, 3, 4, 7))[0],
        "trial": trial,
        "trial_expiration": today + timedelta(days=rng.randint(-5, 30)) if trial else None,
        "expiration": None if trial else expiration,
        "version": 1,
    }


def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(model), rows[start : start + CHUNK])


def _reset_sequences() -> None:
    """PostgreSQL: move id sequences past the explicit ids inserted above."""
    if db.engine.dialect.name != "postgresql":
        return
    for model in (Account, Company, Site, LicensePool, License, PoolLicense, Tag):
        table = model.__tablename__
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))'
            )
        )
    db.session.commit()
