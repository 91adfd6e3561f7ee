"""License Management's rows carry no form and no token of their own (issue 14, finding 10):
one shared mechanism driven by the row, so a row costs about half of what it did (2.4 KB)."""

from __future__ import annotations

import re

from tests.licenses_world import build_world

HX = {"HX-Request": "true"}


def test_rows_carry_no_form_or_token_and_stay_small(admin_client):
    build_world()
    fragment = admin_client.get("/licenses", headers=HX).text
    rows = re.findall(r"<tr data-row=.*?</tr>", fragment, re.S)
    assert len(rows) >= 8
    assert not any("<form" in row or "csrf_token" in row for row in rows)
    average = sum(len(row.encode()) for row in rows) / len(rows)
    assert average <= 1_200, average  # was about 2,400 bytes per row
    cell = re.search(
        r'<td class="tags-cell" data-tags="(/licenses/\d+/tags)" data-version="\d+"', rows[0]
    )
    assert cell, rows[0]  # the row drives the shared tag mechanism (static/js/tags.js)
    assert fragment.count('id="pm-') == len(set(re.findall(r'popovertarget="(pm-\d+)"', fragment)))


def test_the_answer_cell_names_its_controls_without_the_row(admin_client):
    world = build_world()
    con = world.licenses["CON-003"]
    cell = admin_client.post(
        f"/licenses/{con.id}/tags", data={"name": "renewal", "version": con.version}, headers=HX
    ).text
    assert 'aria-label="Add a tag to CON-003"' in cell and "data-focus" in cell
    assert "Tags of CON-003: " in cell  # announced once by the live region
