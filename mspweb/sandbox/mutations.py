"""Changes to a running world, as the admin endpoint makes them (the portal "changing")."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime
from typing import Any

from . import catalog, usage
from .world import ACCESS_LEVELS, ENTITY_TYPES, Allocation, Company, License, Site, World

COMPANY_FIELDS = ("name", "status", "access", "email", "custom_identifier")
LICENSE_FIELDS = (
    "quantity",
    "usage",
    "state",
    "trial",
    "trial_expiration",
    "expiration",
    "product_code",
    "product_name",
    "last_update",
)


class MutationError(ValueError):
    """A change that cannot be made; ``status`` is 404 for unknown objects, else 400."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _company(world: World, company_id: str) -> Company:
    if company_id not in world.companies:
        raise MutationError(f"no company {company_id!r}", 404)
    return world.companies[company_id]


def _license(world: World, key: str) -> License:
    if key not in world.licenses:
        raise MutationError(f"no license {key!r}", 404)
    return world.licenses[key]


def update_company(world: World, company_id: str, **fields: Any) -> dict:
    """Rename a company, change its status/access/email/custom identifier, or move it
    (``parent_id``)."""
    company = _company(world, company_id)
    unknown = set(fields) - {*COMPANY_FIELDS, "parent_id"}
    if unknown:
        raise MutationError(f"cannot change {', '.join(sorted(unknown))} of a company")
    if "access" in fields and fields["access"] not in ACCESS_LEVELS:
        raise MutationError(f"access must be one of {', '.join(ACCESS_LEVELS)}")
    if "parent_id" in fields:
        move_company(world, company_id, fields.pop("parent_id"))
    for name, value in fields.items():
        setattr(company, name, value)
    world.changed()
    return {"id": company.id}


def move_company(world: World, company_id: str, parent_id: str) -> dict:
    """Move a company (with its subtree) under another parent of the same tree."""
    company = _company(world, company_id)
    _company(world, parent_id)
    if company.parent_id is None:
        raise MutationError("cannot move the top of the world")
    if parent_id in world.subtree(company_id):
        raise MutationError("cannot move a company under itself")
    world.companies[company.parent_id].children.remove(company_id)
    world.companies[parent_id].children.append(company_id)
    company.parent_id = parent_id
    world.changed()
    return {"id": company_id, "parentId": parent_id}


def add_company(world: World, parent_id: str, name: str, type: int = 1007, **fields: Any) -> dict:
    """Add a company under ``parent_id``; returns its id."""
    _company(world, parent_id)
    if type not in ENTITY_TYPES:
        raise MutationError(f"type must be one of {sorted(ENTITY_TYPES)}")
    company = Company(
        id=str(uuid.uuid4()),
        name=name,
        type=type,
        parent_id=parent_id,
        email=catalog.email_for(name, "new"),
    )
    world.companies[company.id] = company
    world.companies[parent_id].children.append(company.id)
    if fields:
        update_company(world, company.id, **fields)
    world.changed()
    return {"id": company.id}


def remove_company(world: World, company_id: str) -> dict:
    """Remove a company, its subtree and their licenses; returns what went."""
    company = _company(world, company_id)
    if company.parent_id is None:
        raise MutationError("cannot remove the top of the world")
    removed = world.subtree(company_id)
    keys: list[str] = []
    world.companies[company.parent_id].children.remove(company_id)
    for gone_id in removed:
        gone = world.companies.pop(gone_id)
        keys.extend(gone.license_keys)
        for key in gone.license_keys:
            usage.retire(world, world.licenses.pop(key))
    world.changed()
    return {"id": company_id, "removed": removed, "licensesRemoved": keys}


def _allocations(raw: list[dict]) -> list[Allocation]:
    try:
        return [
            Allocation(
                site_id=part.get("siteId", part.get("site_id")),
                quantity=int(part["quantity"]),
                usage=int(part.get("usage", 0)),
            )
            for part in raw
        ]
    except (KeyError, TypeError, ValueError, AttributeError):
        raise MutationError("allocations: a list of {siteId, quantity, usage}") from None


def add_license(
    world: World,
    company_id: str | None = None,
    business_id: str | None = None,
    effective_from: str | None = None,
    **fields: Any,
) -> dict:
    """Add a license to an MSP-portal company or to a business-portal account; it is held
    from today (or from the day ``effective_from``, for a test's backdated history)."""
    if (company_id is None) == (business_id is None):
        raise MutationError("give exactly one of company_id and business_id")
    check_day(effective_from)
    if company_id is not None:
        _company(world, company_id)
    elif business_id not in world.businesses:
        raise MutationError(f"no business account {business_id!r}", 404)
    unknown = set(fields) - {*LICENSE_FIELDS, "allocations", "key"}
    if unknown:
        raise MutationError(f"unknown license fields: {', '.join(sorted(unknown))}")
    if fields.get("allocations") is not None:
        _allocations(fields["allocations"])  # validate before changing anything
    key = fields.pop("key", None) or _new_key(world)
    if key in world.licenses:
        raise MutationError(f"license key {key!r} exists")
    code = fields.setdefault("product_code", "EEA")
    fields.setdefault("product_name", dict(catalog.PRODUCTS).get(code, code))
    fields.setdefault("quantity", 10)
    fields.setdefault("usage", 0)
    fields.setdefault("last_update", _now())
    allocations = fields.pop("allocations", None)
    item = License(
        key=key,
        product_code=code,
        product_name=fields.pop("product_name"),
        quantity=fields.pop("quantity"),
        usage=fields.pop("usage"),
        company_id=company_id,
        business_id=business_id,
    )
    world.licenses[key] = item
    item.start = effective_from or usage.today(world).isoformat()  # held from that day on
    if company_id is not None:
        world.companies[company_id].license_keys.append(key)
    else:
        world.businesses[item.owner_id].license_keys.append(key)
        fields["allocations"] = allocations or [
            {"siteId": None, "quantity": item.quantity, "usage": item.usage}
        ]
    fields.pop("product_code")
    set_license(world, key, effective_from=effective_from, **fields)
    return {"publicLicenseKey": key}


def set_license(world: World, key: str, effective_from: str | None = None, **fields: Any) -> dict:
    """Change a license's fields (and a business license's allocations), from today on
    (or from the day ``effective_from``: a backdated change of its usage history)."""
    item = _license(world, key)
    check_day(effective_from)
    usage.ensure_history(world, item)  # the generated past, before the change
    allocations = fields.pop("allocations", None)
    unknown = set(fields) - set(LICENSE_FIELDS)
    if unknown:
        raise MutationError(f"cannot change {', '.join(sorted(unknown))} of a license")
    for name, value in fields.items():
        setattr(item, name, value)
    if "last_update" not in fields:
        item.last_update = _now()
    if allocations is not None:
        item.allocations = _allocations(allocations)
        item.quantity = sum(part.quantity for part in item.allocations)
        item.usage = sum(part.usage for part in item.allocations)
    elif item.business_id is not None and ("quantity" in fields or "usage" in fields):
        _rebalance(item)
    usage.record(world, item, effective_from)
    world.changed()
    return {"publicLicenseKey": key}


def check_day(day: str | None) -> None:
    """MutationError unless ``day`` is None or a day (YYYY-MM-DD)."""
    if day is None:
        return
    try:
        date.fromisoformat(day)
    except (TypeError, ValueError):
        raise MutationError("effective_from must be a day (YYYY-MM-DD)") from None


def _rebalance(item: License) -> None:
    """Make the allocations add up again, adjusting the company-level one."""
    company_level = next((p for p in item.allocations if p.site_id is None), None)
    if company_level is None:
        company_level = Allocation(site_id=None, quantity=0, usage=0)
        item.allocations.append(company_level)
    for name in ("quantity", "usage"):
        others = sum(getattr(p, name) for p in item.allocations if p is not company_level)
        setattr(company_level, name, max(0, getattr(item, name) - others))
    if sum(p.quantity for p in item.allocations) != item.quantity:  # sites hold too much
        item.allocations = [Allocation(None, item.quantity, item.usage)]


def remove_license(world: World, key: str, effective_from: str | None = None) -> dict:
    """Remove a license from either portal; its usage history keeps its past (up to
    ``effective_from``, for a test's backdated removal)."""
    check_day(effective_from)
    item = world.licenses.pop(_license(world, key).key)
    usage.retire(world, item, effective_from)
    owner = (
        world.companies[item.company_id]
        if item.company_id
        else world.businesses[item.business_id or ""]
    )
    owner.license_keys.remove(key)
    world.changed()
    return {"publicLicenseKey": key}


def add_site(world: World, business_id: str, name: str, parent_site_id: str | None = None) -> dict:
    """Add a site to a business-portal account."""
    if business_id not in world.businesses:
        raise MutationError(f"no business account {business_id!r}", 404)
    site = Site(id=str(uuid.uuid4()), name=name, parent_site_id=parent_site_id)
    world.businesses[business_id].sites.append(site)
    world.changed()
    return {"siteId": site.id}


def _new_key(world: World) -> str:
    rng = random.Random()
    while True:
        chars = "".join(rng.choices(catalog.KEY_ALPHABET, k=9))
        key = f"{chars[:3]}-{chars[3:6]}-{chars[6:]}"
        if key not in world.licenses:
            return key
