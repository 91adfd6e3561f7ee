"""Issue 14 on the report pages (issue 10) in a real browser: axe-core finds nothing on every
report page and the states the tests visit (grouped by each key, filtered, sorted, the usage
chart filtered, a billing month open, closed and being reopened), as admin, operator and
customer; at 390 px the pages do not pan sideways, the chart fits and the filters stay usable.
Screenshots at 390 and 1440 px for the README."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from mspweb.reports.license_users import GROUPS, ReportFilters
from mspweb.usage.backfill import run_inline as backfill_inline
from mspweb.usage.store import add_months
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.usability import box, long_names_world, page_pans_sideways, role_users, sized_page
from tests.usage_helpers import last_month

#: A check run on each page state: (the page, a name for the state in messages).
Check = Callable[[Page, str], None]
#: Every form control of a report's filter form a person can operate.
FILTER_CONTROLS = "select, input:not([type=hidden]), button, a"


def _world(import_demo) -> tuple[dict[str, tuple[str, str]], str]:
    """Northwind (business portal) with long names, its usage backfilled, and the three role
    users; returns those users and the customer's (long) name."""
    account, customer, _ = long_names_world(import_demo)
    assert backfill_inline(account.id)["status"] == "succeeded"
    return role_users(account, customer), customer.name


def _license_user_states(page: Page, role: str, check: Check) -> None:
    """/reports (the index) and the License User report grouped by each key, filtered down to
    nothing, and sorted."""
    page.goto("/reports")
    page.wait_for_url("**/reports/license-users")
    expect(page.locator("#license-user-table tfoot")).to_contain_text("Total")
    check(page, f"/reports as {role}")
    default = ReportFilters.from_args({}).group  # its URL names no group
    for key in [*(k for k in GROUPS if k != default), default]:
        page.select_option("#report-group", key)
        page.wait_for_url(_group_in_url(key, default))
        first = page.locator("#license-user-table thead th").first
        expect(first).to_contain_text(GROUPS[key])
        check(page, f"License User report by {key} as {role}")
    page.select_option("#report-group", "customer")
    page.wait_for_url("**group=customer*")
    page.select_option("#report-status", "normal")
    page.wait_for_url("**status=normal*")
    expect(page.locator("#license-user-table tbody tr").first).to_be_visible()
    check(page, f"License User report by customer, normal licenses, as {role}")
    page.locator("#report-q").fill("no-such-license-anywhere")
    page.wait_for_url("**q=no-such-license-anywhere*")
    expect(page.locator("#license-user-report .empty")).to_contain_text("No license matches")
    check(page, f"License User report matching nothing as {role}")
    page.goto("/reports/license-users?group=product")
    page.locator("#license-user-table thead a.sort", has_text="Units used").click()
    page.wait_for_url("**sort=used*")
    expect(page.locator("#license-user-table th[aria-sort]")).to_contain_text("Units used")
    check(page, f"License User report by product, sorted by units used, as {role}")


def _group_in_url(key: str, default: str) -> Callable[[str], bool]:
    """Whether a pushed URL shows the report grouped by `key` (the default is left out)."""
    if key == default:
        return lambda url: "group=" not in url
    return lambda url: f"group={key}" in url


def _usage_states(page: Page, role: str, check: Check) -> None:
    """The Usage page: 30 days, 13 months, one product, one customer (staff), a custom range."""
    page.goto("/reports/usage")
    _chart_drawn(page)
    check(page, f"Usage, last 30 days, as {role}")
    page.select_option("#usage-range", "13m")
    page.wait_for_url("**range=13m*")
    _chart_drawn(page)
    check(page, f"Usage, 13 months, as {role}")
    page.select_option("#usage-product", index=1)
    page.wait_for_url("**product=*")
    _chart_drawn(page)
    check(page, f"Usage, 13 months of one product, as {role}")
    if role != "customer":  # a customer sees its own company only: no customer filter
        page.select_option("#usage-company", index=1)
        page.wait_for_url("**company=*")
        _chart_drawn(page)
        check(page, f"Usage of one customer and product as {role}")
    else:
        expect(page.locator("#usage-company")).to_have_count(0)
    start = f"{add_months(last_month(), -1):%Y-%m}-01"
    page.goto(f"/reports/usage?range=custom&from={start}&to={last_month():%Y-%m}-28")
    _chart_drawn(page)
    expect(page.locator("#usage-range")).to_have_value("custom")
    check(page, f"Usage, a custom range, as {role}")


def _chart_drawn(page: Page) -> None:
    """Wait until uPlot has drawn the (swapped-in) chart, with points in it."""
    expect(page.locator("#usage-chart[data-ready=true] canvas")).to_have_count(1)
    points = page.evaluate("document.getElementById('usage-chart').uplot.data[0].length")
    assert points > 0, page.url


def _billing_states(page: Page, role: str, check: Check, close: bool) -> None:
    """Monthly billing: an open month two months back, last month (closed here by the
    administrator when `close`, else already closed), the reopen form and its error
    (administrators), and the provisional current month."""
    month, earlier = last_month(), add_months(last_month(), -1)
    page.goto(f"/reports/billing?month={earlier:%Y-%m}")
    expect(page.locator("#billing-table tfoot")).to_contain_text("Total")
    expect(page.locator(".report-state")).to_contain_text("Open")
    expect(page.locator("#close-month")).to_have_count(1 if role == "admin" else 0)
    check(page, f"Billing of an open month as {role}")
    page.goto(f"/reports/billing?month={month:%Y-%m}")
    if close:
        check(page, f"Billing of last month, open, as {role}")
        page.locator("#close-month").click()
    expect(page.locator(".report-state")).to_contain_text("Closed by")
    expect(page.locator("#billing-table tfoot")).to_contain_text("Total")
    check(page, f"Billing of a closed month as {role}")
    if role == "admin":
        page.locator(".reopen summary").click()
        page.locator("#reopen-form textarea").fill("   ")  # blank: the server says why not
        page.locator("#reopen-form button[type=submit]").click()
        expect(page.locator("#reopen-error")).to_contain_text("Give a reason")
        check(page, f"Billing, reopening without a reason, as {role}")
    page.goto("/reports/billing")
    expect(page.locator(".report-state")).to_contain_text("Provisional")
    check(page, f"Billing of this month (provisional) as {role}")
    page.locator("a[rel=prev]").first.click()
    page.wait_for_url(f"**month={month:%Y-%m}*")
    expect(page.locator(".report-state")).to_contain_text("Closed by")
    check(page, f"Billing, back one month, as {role}")


def _every_report_state(page: Page, role: str, check: Check, close: bool = False) -> None:
    """Walk every report page and its main states, running `check` on each."""
    _license_user_states(page, role, check)
    _usage_states(page, role, check)
    _billing_states(page, role, check, close)


def test_axe_finds_nothing_on_any_report_page_or_state_for_every_role(
    page, browser, live_server, admin, import_demo
):
    users, _ = _world(import_demo)
    for role, (email, password) in users.items():  # the administrator first: it closes
        context = browser.new_context(base_url=live_server, viewport={"width": 1440, "height": 900})
        context.set_default_timeout(15_000)
        try:
            visitor = context.new_page()
            sign_in(visitor, email, password)
            _every_report_state(visitor, role, assert_accessible, close=role == "admin")
        finally:
            context.close()


def _fits_a_phone(page: Page, state: str) -> None:
    """At 390 px: no sideways panning, every table in its own scrolling region, the chart
    inside the window, every filter control reachable and big enough; and axe is clean."""
    width = page.viewport_size["width"]
    assert not page_pans_sideways(page), f"{state}: the page pans sideways"
    loose = page.evaluate(
        "[...document.querySelectorAll('table.table')].filter(t => !t.closest("
        "'.table-scroll[role=region][tabindex=\"0\"]')).map(t => t.id)"
    )
    assert loose == [], f"{state}: tables outside a scrolling region: {loose}"
    if page.locator("#usage-chart").count():
        holder, canvas = box(page.locator("#usage-chart")), box(page.locator("#usage-chart canvas"))
        assert canvas["x"] >= 0 and canvas["right"] <= min(width, holder["right"] + 1), state
        assert canvas["width"] >= 0.8 * holder["width"], f"{state}: the chart is too small"
    form = page.locator("form.filters")
    for control in form.locator(FILTER_CONTROLS).all():
        if not control.is_visible():
            continue
        where = box(control)
        name = control.evaluate("e => e.id || e.name || e.textContent.trim()")
        assert where["x"] >= 0 and where["right"] <= width, f"{state}: {name} is cut off"
        assert where["height"] >= 24, f"{state}: {name} is {where['height']} px high"
    assert_accessible(page, f"{state} at {width} px")


def test_report_pages_fit_a_390_px_phone_for_every_role(
    page, browser, live_server, admin, import_demo
):
    users, _ = _world(import_demo)
    for role, (email, password) in users.items():
        sign_in(page, email, password)
        state = page.context.storage_state()
        with sized_page(browser, live_server, state, 390, 844) as phone:
            _every_report_state(phone, role, _fits_a_phone, close=role == "admin")
        page.context.clear_cookies()


def test_the_usage_chart_follows_the_window_width(page, admin, import_demo):
    _world(import_demo)
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto("/reports/usage?range=13m")
    _chart_drawn(page)
    canvas = page.locator("#usage-chart canvas")
    assert box(canvas)["width"] > 1000
    page.set_viewport_size({"width": 390, "height": 844})  # a window narrowed, a phone turned
    page.wait_for_function(
        "() => { const h = document.getElementById('usage-chart');"
        " return h.querySelector('canvas').clientWidth === h.clientWidth; }"
    )
    assert not page_pans_sideways(page)
    assert box(canvas)["right"] <= 390


def test_screenshots_of_the_reports_at_390_and_1440_px(page, admin, import_demo):
    _, long_name = _world(import_demo)
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    month = f"{last_month():%Y-%m}"
    page.goto(f"/reports/billing?month={month}")
    page.locator("#close-month").click()
    expect(page.locator(".report-state")).to_contain_text("Closed by")
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/reports/license-users?group=customer")
        row = page.locator("#license-user-table tbody th", has_text=long_name[:30])
        region = page.locator("#license-user-report .table-scroll")
        assert box(row)["width"] < 0.5 * box(region)["width"]  # the long name wraps
        if width == 1440:  # every column in sight, none scrolled away
            last = page.locator("#license-user-table thead th").last
            assert box(last)["right"] <= box(region)["right"] + 1
        screenshot(page, f"reports-license-users-{width}")
        page.goto("/reports/usage?range=13m")  # a new page: the chart is drawn at this width
        _chart_drawn(page)
        screenshot(page, f"reports-usage-{width}")
        page.goto(f"/reports/billing?month={month}")
        expect(page.locator(".report-state")).to_contain_text("Closed by")
        screenshot(page, f"reports-billing-{width}")
