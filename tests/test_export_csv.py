"""The CSV export: exact columns, one row per license in a pool, streamed, injection-safe."""

from __future__ import annotations

import csv
import io
import re

from mspweb.extensions import db
from mspweb.licenses import export
from tests.conftest import login, make_user
from tests.licenses_world import build_world, license

HEADER = [
    "License ID",
    "Product",
    "License User",
    "Used",
    "Units",
    "Status",
    "Expiration",
    "Tags",
    "Pool",
]


def rows_of(text: str) -> list[list[str]]:
    """The CSV's rows, header first."""
    return list(csv.reader(io.StringIO(text)))


def test_columns_are_exactly_the_documented_ones(admin_client):
    build_world()
    response = admin_client.get("/licenses/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.text.splitlines()[0] == ",".join(HEADER)


def test_one_row_per_license_in_a_pool_with_that_pools_units(admin_client):
    build_world()
    rows = rows_of(admin_client.get("/licenses/export.csv").text)[1:]
    assert len(rows) == 9
    glx = [row for row in rows if row[0] == "GLX-001"]
    assert [row[2] for row in glx] == ["Globex / Vienna", "Globex / Graz"] or [
        row[2] for row in glx
    ] == ["Globex / Graz", "Globex / Vienna"]
    assert all(row[3:5] == ["5", "10"] for row in glx)  # 10 of 20 units in each site pool
    con = next(row for row in rows if row[0] == "CON-001")
    assert con == [
        "CON-001",
        "ESET Endpoint Security",
        "Contoso Ltd",
        "14",
        "10",
        "Overused",
        "",
        "Contoso Ltd; vip",
        "Contoso Ltd · MSP portal",
    ]
    trial = next(row for row in rows if row[0] == "CON-002")
    assert trial[5] == "Trial" and trial[6]  # the trial's end date


def test_export_takes_the_pages_filters_and_sort(admin_client):
    build_world()
    rows = rows_of(admin_client.get("/licenses/export.csv?tag=vip&sort=key&dir=desc").text)
    assert [row[0] for row in rows[1:]] == ["FAB-002", "CON-001"]
    searched = rows_of(admin_client.get("/licenses/export.csv?q=globex").text)
    assert {row[0] for row in searched[1:]} == {"GLX-001"}


def test_cells_that_would_run_as_formulas_are_neutralised(admin_client):
    world = build_world()
    world.companies["contoso"].name = '=HYPERLINK("http://evil.example","x")'
    license(world, "+SUM-001", ["contoso"], tags=["@import", "-2+3", "\tTAB", "plain"])
    db.session.commit()
    rows = rows_of(admin_client.get("/licenses/export.csv?q=SUM-001").text)
    key, _, user, *_, tags, _ = rows[1]
    assert key == "'+SUM-001"
    assert user == "'" + '=HYPERLINK("http://evil.example","x")'
    assert tags == "'\tTAB; -2+3; @import; plain"  # the cell as a whole starts with a tab


def test_neutralise_is_only_about_the_first_character():
    assert export.neutralise("=1+1") == "'=1+1"
    assert export.neutralise("\r=1") == "'\r=1"
    assert export.neutralise("a=1") == "a=1"
    assert export.neutralise(None) == "" and export.neutralise(12) == "12"


def test_export_is_streamed_in_batches(admin_client, monkeypatch):
    world = build_world()
    for number in range(30):
        license(world, f"BAT-{number:03d}", ["alpha"])
    db.session.commit()
    monkeypatch.setattr(export, "BATCH_SIZE", 10)
    response = admin_client.get("/licenses/export.csv", buffered=False)
    assert response.is_streamed
    chunks = list(response.iter_encoded())
    assert chunks[0].decode() == ",".join(HEADER) + "\r\n"  # the header goes out first
    assert len(chunks) == 1 + 4  # 39 rows in batches of 10
    assert sum(chunk.count(b"\r\n") for chunk in chunks) == 40
    response.close()


def test_r12_customer_export_has_only_its_own_rows(app, client):
    world = build_world()
    make_user("contoso@customer.example", "customer-pass-1", "customer", world.companies["contoso"])
    login(client, "contoso@customer.example", "customer-pass-1")
    text = client.get("/licenses/export.csv").text
    assert [row[0] for row in rows_of(text)[1:]] == ["CON-001", "CON-002", "CON-003"]
    for canary in ("Fabrikam", "Globex", "FAB-", "Acme Manager"):
        assert canary not in text
    forged = client.get(f"/licenses/export.csv?company={world.companies['fabrikam'].id}")
    assert forged.status_code == 404


def test_cli_writes_the_same_csv_for_one_account(app, admin_client):
    world = build_world()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["licenses", "export", "--account", str(world.account.id)])
    assert result.exit_code == 0, result.output
    page = admin_client.get("/licenses/export.csv").text
    assert result.output.replace("\r\n", "\n") == page.replace("\r\n", "\n")
    tagged = runner.invoke(
        args=[
            "licenses",
            "export",
            "--account",
            str(world.account.id),
            "--tag",
            "vip",
            "--company",
            "p-contoso",
        ]
    )
    assert [row[0] for row in rows_of(tagged.output)[1:]] == ["CON-001"]


def test_cli_refuses_an_unknown_account_with_a_message(app):
    result = app.test_cli_runner().invoke(args=["licenses", "export", "--account", "999"])
    assert result.exit_code != 0 and "No account with id 999" in result.output


def test_export_follows_every_sort_of_the_page(admin_client):
    build_world()
    for sort in ("key", "product", "user", "units", "expiration", "status", "tags", "pool"):
        for direction in ("asc", "desc"):
            page = admin_client.get(f"/licenses?sort={sort}&dir={direction}").text
            shown = re.findall(r'<td class="mono"[^>]*>([^<]+)</td>', page)
            rows = rows_of(
                admin_client.get(f"/licenses/export.csv?sort={sort}&dir={direction}").text
            )[1:]
            assert [row[0] for row in rows] == shown, (sort, direction)
