"""Ids out of range are 404 (issue 15, finding 6): one URL converter for every `<int:>` route,
and the same bound for numeric query and form parameters (`mspweb.params`)."""

from __future__ import annotations

import pytest

from mspweb.params import MAX_INT
from tests.licenses_world import build_world
from tests.url_map import build

HUGE = [2**63, 2**63 - 1, 2**31, 99999999999999999999]


def _int_routes(app):
    for rule in app.url_map.iter_rules():
        names = [
            name
            for name, converter in rule._converters.items()
            if type(converter).__name__ in {"IntegerConverter", "BoundedIntConverter"}
        ]
        if names:
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                yield rule, method, names


@pytest.mark.parametrize("number", HUGE)
def test_finding6_every_int_route_answers_404_for_ids_out_of_range(app, admin_client, number):
    checked = 0
    for rule, method, names in _int_routes(app):
        url = build(app, rule, {name: number for name in names})
        status = admin_client.open(url, method=method, data={}).status_code
        assert status == 404, (method, url, status)
        checked += 1
    assert checked >= 8


def test_finding6_numeric_parameters_out_of_range_are_not_a_500(app, admin_client):
    world = build_world()
    con = world.licenses["CON-003"]
    big = str(2**63)
    for url in (
        f"/licenses?company={big}",
        f"/licenses?account={big}",
        f"/licenses?page={big}&per_page={big}",
        f"/licenses/tree?company={big}",
        f"/tags?page={big}",
        f"/syncs?account={big}",
        f"/audit?page={big}",
    ):
        assert admin_client.get(url).status_code in (200, 302, 404), url
    removed = admin_client.post(
        f"/licenses/{con.id}/tags/remove", data={"tag": "99999999999999999999", "version": big}
    )
    assert removed.status_code in (302, 404, 422)
    bulk = admin_client.post(
        "/licenses/tags", data={"license": [str(con.id), big], "name": "x", "action": "add"}
    )
    assert bulk.status_code == 404
    added = admin_client.post(f"/licenses/{con.id}/tags", data={"name": "ok", "version": big})
    assert added.status_code in (302, 422)


def test_the_bound_is_a_database_integer():
    assert MAX_INT == 2**31 - 1
