"""Turn the portals' JSON into records, checking the contract's shape on the way.

Every function here raises :class:`ResponseShapeError` (a ``ValueError``) naming the field
at fault (``search[3].quantity``) when the JSON does not have the contract's shape. Unknown
extra fields are ignored. Values are never echoed into messages (they may be long, or be
something that should not be logged); only their JSON type is.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from .errors import ResponseShapeError
from .records import (
    ACCESS_LEVELS,
    Allocation,
    Company,
    CompanyDetail,
    CurrentUser,
    EnumItem,
    License,
    Site,
    UsageCompany,
    UsageProduct,
)

_MISSING = object()


def _type_name(value: object) -> str:
    """The JSON name of a decoded value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def expect_object(value: object, where: str) -> Mapping[str, Any]:
    """Return ``value`` if it is a JSON object, else raise naming ``where``."""
    if not isinstance(value, dict):
        raise ResponseShapeError(f"{where} should be an object, not {_type_name(value)}")
    return value


def expect_list(value: object, where: str) -> list[Any]:
    """Return ``value`` if it is a JSON list, else raise naming ``where``."""
    if not isinstance(value, list):
        raise ResponseShapeError(f"{where} should be a list, not {_type_name(value)}")
    return value


def _get(obj: Mapping[str, Any], key: str, where: str) -> Any:
    value = obj.get(key, _MISSING)
    if value is _MISSING:
        raise ResponseShapeError(f"{where}.{key} is missing")
    return value


def text(obj: Mapping[str, Any], key: str, where: str) -> str:
    """The string at ``obj[key]``; missing or any other type is a shape error."""
    value = _get(obj, key, where)
    if not isinstance(value, str):
        raise ResponseShapeError(f"{where}.{key} should be a string, not {_type_name(value)}")
    return value


def text_or_none(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    """The string at ``obj[key]``, or ``None`` when it is missing or null."""
    if obj.get(key) is None:
        return None
    return text(obj, key, where)


def integer(obj: Mapping[str, Any], key: str, where: str) -> int:
    """The integer at ``obj[key]`` (an integral JSON number; booleans are refused)."""
    value = _get(obj, key, where)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ResponseShapeError(f"{where}.{key} should be an integer, not {_type_name(value)}")
    return value


def boolean(obj: Mapping[str, Any], key: str, where: str, *, default: bool = False) -> bool:
    """The boolean at ``obj[key]``; ``default`` if missing or null."""
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ResponseShapeError(f"{where}.{key} should be true or false, not {_type_name(value)}")
    return value


def _iso_datetime(obj: Mapping[str, Any], key: str, where: str) -> datetime.datetime | None:
    raw = text_or_none(obj, key, where)
    if raw is None or raw == "":
        return None
    try:
        return datetime.datetime.fromisoformat(raw)
    except ValueError:
        raise ResponseShapeError(f"{where}.{key} is not an ISO date or date-time") from None


def iso_date(obj: Mapping[str, Any], key: str, where: str) -> datetime.date | None:
    """A date from ``"2026-12-31"`` or a date-time string (its date part); None if null."""
    moment = _iso_datetime(obj, key, where)
    return None if moment is None else moment.date()


def iso_timestamp(obj: Mapping[str, Any], key: str, where: str) -> datetime.datetime | None:
    """A timezone-aware UTC date-time; a value without an offset is taken as UTC."""
    moment = _iso_datetime(obj, key, where)
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


def current_user(value: object, where: str, *, with_company_type: bool) -> CurrentUser:
    """``User/Current``; the MSP portal must send the company's entity type."""
    user = expect_object(value, where)
    company = expect_object(_get(user, "company", where), f"{where}.company")
    company_where = f"{where}.company"
    return CurrentUser(
        id=text(user, "id", where),
        email=text(user, "email", where),
        company_id=text(company, "companyId", company_where),
        company_name=text(company, "name", company_where),
        company_type=integer(company, "type", company_where) if with_company_type else None,
        first_name=text_or_none(user, "firstName", where),
        last_name=text_or_none(user, "lastName", where),
    )


def _access(obj: Mapping[str, Any], where: str) -> str:
    access = text(obj, "access", where)
    if access not in ACCESS_LEVELS:
        raise ResponseShapeError(f"{where}.access should be one of {', '.join(ACCESS_LEVELS)}")
    return access


def company(value: object, where: str) -> Company:
    """One entry of ``Company/Children``."""
    obj = expect_object(value, where)
    return Company(
        public_id=text(obj, "publicId", where),
        name=text(obj, "name", where),
        type=integer(obj, "type", where),
        status=integer(obj, "status", where),
        email=text_or_none(obj, "email", where),
        access=_access(obj, where),
    )


def company_detail(value: object, where: str) -> CompanyDetail:
    """``Company/Detail``."""
    obj = expect_object(value, where)
    return CompanyDetail(
        id=text(obj, "id", where),
        name=text(obj, "name", where),
        type=integer(obj, "type", where),
        status=integer(obj, "status", where),
        email=text_or_none(obj, "email", where),
        parent_id=text_or_none(obj, "parentId", where),
        custom_identifier=text_or_none(obj, "customIdentifier", where),
        access=_access(obj, where),
    )


def allocation(value: object, where: str) -> Allocation:
    """One entry of a business-portal license's ``allocations``."""
    obj = expect_object(value, where)
    return Allocation(
        site_id=text_or_none(obj, "siteId", where),
        quantity=integer(obj, "quantity", where),
        usage=integer(obj, "usage", where),
    )


def license_(value: object, where: str, *, with_allocations: bool = False) -> License:
    """A license of either portal; the business portal's must carry ``allocations``."""
    obj = expect_object(value, where)
    allocations: tuple[Allocation, ...] = ()
    if with_allocations:
        entries = expect_list(_get(obj, "allocations", where), f"{where}.allocations")
        allocations = tuple(
            allocation(entry, f"{where}.allocations[{index}]")
            for index, entry in enumerate(entries)
        )
    return License(
        public_key=text(obj, "publicLicenseKey", where),
        product_code=text(obj, "productCode", where),
        product_name=text(obj, "productName", where),
        quantity=integer(obj, "quantity", where),
        usage=integer(obj, "usage", where),
        state=integer(obj, "state", where),
        trial=boolean(obj, "trial", where),
        trial_expiration=iso_date(obj, "trialExpiration", where),
        expiration=iso_date(obj, "expiration", where),
        last_update=iso_timestamp(obj, "lastUpdate", where),
        customer_id=text_or_none(obj, "customerId", where),
        customer_name=text_or_none(obj, "customerName", where),
        allocations=allocations,
    )


def site(value: object, where: str) -> Site:
    """One entry of ``Site/List``."""
    obj = expect_object(value, where)
    return Site(
        site_id=text(obj, "siteId", where),
        name=text(obj, "name", where),
        parent_site_id=text_or_none(obj, "parentSiteId", where),
    )


def enum_items(value: object, where: str) -> list[EnumItem]:
    """An ``Enum/...`` answer: a list of ``{"id", "name"}``."""
    items = expect_list(value, where)
    parsed = []
    for index, entry in enumerate(items):
        item_where = f"{where}[{index}]"
        obj = expect_object(entry, item_where)
        parsed.append(
            EnumItem(id=integer(obj, "id", item_where), name=text(obj, "name", item_where))
        )
    return parsed


def usage_product(value: object, where: str) -> UsageProduct:
    """One entry of a usage report company's ``products``; its days must add up to
    ``seatDays`` and be in order."""
    obj = expect_object(value, where)
    days = expect_list(_get(obj, "usagePerDays", where), f"{where}.usagePerDays")
    usage: list[tuple[datetime.date, int]] = []
    for index, entry in enumerate(days):
        at = f"{where}.usagePerDays[{index}]"
        day = iso_date(expect_object(entry, at), "day", at)
        if day is None:
            raise ResponseShapeError(f"{at}.day should be a day")
        if usage and day <= usage[-1][0]:
            raise ResponseShapeError(f"{at}.day is not after the day before it")
        usage.append((day, integer(entry, "usage", at)))
    seat_days = integer(obj, "seatDays", where)
    if seat_days != sum(value for _, value in usage):
        raise ResponseShapeError(f"{where}.seatDays is not the sum of its usagePerDays")
    return UsageProduct(
        code=text(obj, "code", where),
        name=text(obj, "name", where),
        license_type=integer(obj, "licenseType", where),
        seats=integer(obj, "seats", where),
        seat_days=seat_days,
        usage=tuple(usage),
    )


def usage_company(value: object, where: str) -> UsageCompany:
    """One entry of ``UsageReport/AllCompanies/products``'s ``companies``."""
    obj = expect_object(value, where)
    products = expect_list(_get(obj, "products", where), f"{where}.products")
    return UsageCompany(
        company_id=text(obj, "companyId", where),
        company_name=text(obj, "companyName", where),
        products=tuple(
            usage_product(entry, f"{where}.products[{index}]")
            for index, entry in enumerate(products)
        ),
    )
