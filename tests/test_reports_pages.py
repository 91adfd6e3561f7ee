"""The report pages: billing (close, reopen, exports), License User report, Usage (R12)."""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile

import pytest
from sqlalchemy import select

from mspweb.extensions import db
from mspweb.models import AuditEntry, Company, License
from mspweb.usage.backfill import run_inline as backfill_inline
from tests.conftest import login, make_user
from tests.usage_helpers import console_billing, last_month, month_last_day, today

BILLING_HEADER = (
    "Customer,Customer ID,Product code,Product,License type,Seat-days,Average seats,"
    "Peak seats,Seats bought"
)


def _backfilled(import_demo):
    account = import_demo("northwind")
    assert backfill_inline(account.id)["status"] == "succeeded"
    return account


def _csv(client, url: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(client.get(url).text)))


def _sheet(body: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(body)) as book:
        return book.read("xl/worksheets/sheet1.xml").decode()


def test_billing_page_close_and_reopen(import_demo, admin_client, admin):
    account = _backfilled(import_demo)
    month = f"{last_month():%Y-%m}"
    page = admin_client.get(f"/reports/billing?month={month}")
    assert page.status_code == 200 and "Open" in page.text and 'id="close-month"' in page.text
    current = admin_client.get("/reports/billing")
    assert "Provisional" in current.text and 'id="close-month"' not in current.text
    closed = admin_client.post(
        "/reports/billing/close", data={"account": account.id, "month": month}
    )
    assert closed.status_code == 302
    page = admin_client.get(f"/reports/billing?month={month}")
    assert f"by {admin.email}" in page.text and "frozen" in page.text
    refused = admin_client.post(
        "/reports/billing/reopen", data={"account": account.id, "month": month, "reason": " "}
    )
    assert refused.status_code == 422 and "Give a reason" in refused.text
    reopened = admin_client.post(
        "/reports/billing/reopen",
        data={"account": account.id, "month": month, "reason": "late credit note"},
    )
    assert reopened.status_code == 302
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "billing.reopen"))
    assert entry.details["reason"] == "late credit note" and entry.actor == admin.email
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "billing.close"))
    assert admin_client.get("/reports/billing?month=2026-1x").status_code == 400


def test_billing_exports_match_the_page(import_demo, admin_client):
    account = _backfilled(import_demo)
    month = last_month()
    lines = console_billing(account.id, month)
    text = admin_client.get(f"/reports/billing.csv?month={month:%Y-%m}").text
    rows = list(csv.reader(io.StringIO(text)))
    assert ",".join(rows[0]) == BILLING_HEADER and len(rows) - 1 == len(lines)
    xlsx = admin_client.get(f"/reports/billing.xlsx?month={month:%Y-%m}")
    assert xlsx.mimetype.endswith("spreadsheetml.sheet")
    sheet = _sheet(xlsx.data)
    assert 'ySplit="1"' in sheet and "<cols>" in sheet  # frozen header, column widths
    assert re.search(r'<c r="F2"[^>]*><v>\d+</v></c>', sheet)  # seat-days typed as a number


def test_license_user_report_groups_filters_and_exports(import_demo, admin_client):
    _backfilled(import_demo)
    page = admin_client.get("/reports/license-users?group=customer&sort=units&dir=desc")
    assert page.status_code == 200
    total_licenses = db.session.scalar(select(db.func.count()).select_from(License))
    footer = page.text.split("<tfoot>")[1]
    assert f">{total_licenses}<" in footer
    assert re.search(r"/licenses\?[^\"]*customer=\d+", page.text)
    fragment = admin_client.get(
        "/reports/license-users?group=product", headers={"HX-Request": "true"}
    )
    assert fragment.headers["HX-Push-Url"] == "/reports/license-users?group=product"
    assert "<h1>" not in fragment.text
    rows = _csv(admin_client, "/reports/license-users.csv?group=product")
    assert rows[0][:2] == ["Product", "Licenses"] and rows[-1][0] == "Total"
    assert sum(int(row[1]) for row in rows[1:-1]) == int(rows[-1][1]) == total_licenses
    sheet = _sheet(admin_client.get("/reports/license-users.xlsx?group=tag").data)
    assert 'ySplit="1"' in sheet


def test_usage_data_adds_up_to_the_billing(import_demo, admin_client):
    account = _backfilled(import_demo)
    month = last_month()
    first, last = month.isoformat(), month_last_day(month).isoformat()
    data = admin_client.get(f"/reports/usage/data?from={first}&to={last}").json
    assert data["days"][0] == first and data["days"][-1] == last
    assert sum(data["used"]) == sum(v[0] for v in console_billing(account.id, month).values())
    assert all(value is not None for value in data["bought"])
    page = admin_client.get("/reports/usage?range=13m")
    assert page.status_code == 200 and 'id="usage-chart"' in page.text
    assert admin_client.get("/reports/usage?from=2026-02-30&to=x").status_code == 400


def test_r12_customer_sees_its_own_curve_and_billing_only(import_demo, app, client):
    account = _backfilled(import_demo)
    month = last_month()
    lines = console_billing(account.id, month)
    portal_id = next(key[0] for key in lines)
    company = db.session.scalar(select(Company).where(Company.portal_id == portal_id))
    make_user("customer@contoso-reports.example", "customer-password-1", "customer", company)
    login(client, "customer@contoso-reports.example", "customer-password-1")
    own = {k: v for k, v in lines.items() if k[0] == portal_id}
    rows = _csv(client, f"/reports/billing.csv?month={month:%Y-%m}")
    assert {(r[1], r[2], r[4]) for r in rows[1:]} == set(own)
    first, last = month.isoformat(), month_last_day(month).isoformat()
    data = client.get(f"/reports/usage/data?from={first}&to={last}").json
    assert sum(data["used"]) == sum(v[0] for v in own.values())
    other = db.session.scalar(
        select(Company.id).where(Company.portal_id != portal_id, Company.account_id == account.id)
    )
    assert client.get(f"/reports/usage?company={other}").status_code == 404
    assert client.get(f"/reports/usage/data?company={other}").status_code == 404
    assert today()


def _group_links(text: str) -> list[tuple[str, str, int]]:
    """(name, License Management link, licenses) of each group row of the report."""
    found = re.findall(
        r'<th scope="row"><a href="([^"]+)">([^<]*)</a></th>\s*<td class="num">([\d,]+)</td>', text
    )
    return [
        (html.unescape(name), html.unescape(href), int(n.replace(",", "")))
        for href, name, n in found
    ]


def _license_keys(client, url: str) -> set[str]:
    """Every license key License Management lists at `url`, over all its pages."""
    keys: set[str] = set()
    page = 1
    while True:
        text = client.get(f"{url}&per_page=200&page={page}").text
        keys.update(re.findall(r'<td class="mono"[^>]*>([^<]+)</td>', text))
        if not re.search(r'rel="next"', text):
            return keys
        page += 1


@pytest.mark.parametrize("group", ["user", "customer", "product", "pool", "tag"])
@pytest.mark.parametrize("narrowing", ["", "&status=normal"])
def test_r10_each_group_links_to_exactly_its_licenses(import_demo, admin_client, group, narrowing):
    """A group's link opens License Management on that group's licenses, no more and no fewer:
    one pool, one License User (which two pools can share), a customer's own pools (not those
    below it), the licenses without a tag; with the report's own filters kept."""
    import_demo("northwind", business=True)
    report = admin_client.get(f"/reports/license-users?group={group}{narrowing}").text
    links = _group_links(report)
    assert len(links) > 1
    for name, href, licenses in links:
        assert href.startswith("/licenses?")
        if narrowing:
            assert "status=normal" in href
        assert len(_license_keys(admin_client, href)) == licenses, (group, name, href)


def test_r12_a_customer_cannot_open_another_companys_group(import_demo, client):
    """The group filters stay within the scope: another company's pool or customer is a 404,
    and another License User's name shows no row."""
    from mspweb.models import LicensePool

    import_demo("northwind", business=True)
    companies = db.session.scalars(  # customers (no company below them) that hold licenses
        select(Company)
        .join(LicensePool, LicensePool.company_id == Company.id)
        .where(Company.entity_type == 1007)
        .distinct()
        .order_by(Company.id)
    ).all()
    own, other = companies[0], companies[1]
    make_user("own@customer-groups.example", "customer-password-1", "customer", own)
    login(client, "own@customer-groups.example", "customer-password-1")
    foreign_pool = db.session.scalar(
        select(LicensePool.id).where(LicensePool.company_id == other.id)
    )
    own_pool = db.session.scalar(select(LicensePool.id).where(LicensePool.company_id == own.id))
    assert client.get(f"/licenses?pool={foreign_pool}").status_code == 404
    assert client.get(f"/licenses?customer={other.id}").status_code == 404
    assert client.get(f"/licenses?pool={own_pool}").status_code == 200
    shown = client.get(f"/licenses?user={other.name}").text
    assert not re.findall(r'<td class="mono"[^>]*>([^<]+)</td>', shown)
