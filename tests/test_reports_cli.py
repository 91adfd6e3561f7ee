"""`flask reports billing | close-month | backfill`: the names and columns checks rely on."""

from __future__ import annotations

import csv
import io

from tests.usage_helpers import expected_billing, last_month

HEADER = (
    "Customer,Customer ID,Product code,Product,License type,Seat-days,Average seats,"
    "Peak seats,Seats bought"
)


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["reports", *args], catch_exceptions=False)


def test_backfill_then_billing_csv_matches_the_report(import_demo, sandbox, app):
    account = import_demo("northwind")
    result = _run(app, "backfill", "--account", str(account.id))
    assert result.exit_code == 0, result.output
    assert "portal calls" in result.output
    month = last_month()
    result = _run(app, "billing", "--account", str(account.id), "--month", f"{month:%Y-%m}")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == HEADER
    rows = list(csv.reader(io.StringIO("\n".join(lines[1:]))))
    expected = expected_billing(sandbox, month)
    got = {(r[1], r[2], r[4]): (int(r[5]), r[6], int(r[7]), int(r[8])) for r in rows}
    assert got == {k: (v[0], f"{v[1]:.2f}", v[2], v[3]) for k, v in expected.items()}
    assert all(r[4] in ("full", "trial") for r in rows)
    assert all(len(r[6].split(".")[1]) == 2 for r in rows)
    # Spreadsheet formulas in names are neutralised.
    assert not any(r[0].startswith("=") for r in rows)

    result = _run(app, "close-month", "--account", str(account.id), "--month", f"{month:%Y-%m}")
    assert result.exit_code == 0, result.output
    again = _run(app, "close-month", "--account", str(account.id), "--month", f"{month:%Y-%m}")
    assert again.exit_code != 0 and "already closed" in again.output


def test_backfill_failure_exits_non_zero_with_the_reason(import_demo, sandbox, app):
    account = import_demo("northwind")
    sandbox.control.add_fault(kind="status", status=400, path="UsageReport/AllCompanies/products")
    result = _run(app, "backfill", "--account", str(account.id))
    assert result.exit_code != 0
    assert "usage report" in result.output


def test_bad_month_is_a_clear_error(import_demo, app):
    account = import_demo("northwind", sync=False)
    result = _run(app, "billing", "--account", str(account.id), "--month", "2026-13")
    assert result.exit_code != 0 and "YYYY-MM" in result.output
