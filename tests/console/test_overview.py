"""The overview page: what the tenant published, by type and TLP, and how many tenants hold it."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.conftest import World
from tests.console.conftest import People
from tests.console.dom import Node, parse
from tests.factories import indicator
from tests.taxii.helpers import HEADERS, objects_url, post

#: GREEN indicators go to the African Union community: six tenants besides Nigeria.
GREEN_TO_AU: dict[str, Any] = {
    "tenant": "ng-nctc",
    "rules": [
        {
            "name": "au-green-indicators",
            "effect": "share",
            "match": {"types": ["indicator"], "tlp": ["green"]},
            "recipients": {"communities": ["african-union"]},
        }
    ],
}
AU_OTHERS = 6  # acsrt, gh-ctfc, ke-nctc, ml-cnlt, ne-cclt, so-ctfc


def _publish(world: World, slug: str, objects: list[dict[str, Any]]) -> None:
    with httpx.Client(base_url=world.url, auth=world.creds(slug), headers=HEADERS) as c:
        post(c, objects_url(world, "shared-exchange"), objects)


def _row(page: Node, table: str, testid: str) -> tuple[int, int]:
    row = page.one(table).one(testid)
    return int(row.one("objects").text), int(row.one("recipients").text)


def _overview(people: People, slug: str) -> Node:
    c = people.sign_in(people.create(slug, "analyst"))
    r = c.get("/console/overview")
    assert r.status_code == 200, r.text
    return parse(r.text)


def test_counts_by_type_and_tlp_match_what_was_published_and_who_holds_it(
    world: World, people: People
) -> None:
    world.apply_policy(GREEN_TO_AU)
    me = world.scope("ng-nctc").identity_id
    amber = [indicator(me, tlp="amber") for _ in range(3)]
    green = [indicator(me, tlp="green") for _ in range(2)]
    _publish(world, "ng-nctc", amber + green)

    page = _overview(people, "ng-nctc")
    assert page.one("total-objects").text == "5"
    assert page.one("total-recipients").text == str(AU_OTHERS)
    assert _row(page, "by-type", "type-indicator") == (5, AU_OTHERS)
    assert _row(page, "by-tlp", "tlp-amber") == (3, 0)
    assert _row(page, "by-tlp", "tlp-green") == (2, AU_OTHERS)
    assert not page.all("tlp-red") and not page.all("nothing-published")

    recent = {row.attrs["data-object-id"]: row for row in page.all("recent-object")}
    assert set(recent) == {o["id"] for o in amber + green}
    for obj in amber + green:
        row = recent[obj["id"]]
        expected = AU_OTHERS if obj in green else 0
        assert int(row.one("recipients").text) == expected
        link = urlsplit(row.one(tag="a").attrs["href"])
        assert link.path == "/console/explain"
        assert parse_qs(link.query) == {"object": [obj["id"]]}


def test_a_newer_version_moves_the_object_and_counts_it_once(world: World, people: People) -> None:
    world.apply_policy(GREEN_TO_AU)
    me = world.scope("ng-nctc").identity_id
    first = indicator(me, tlp="amber")
    later = indicator(me, tlp="green", object_id=first["id"], modified="2026-11-02T10:00:00.000Z")
    _publish(world, "ng-nctc", [first])
    _publish(world, "ng-nctc", [later])

    page = _overview(people, "ng-nctc")
    assert page.one("total-objects").text == "1"
    assert _row(page, "by-tlp", "tlp-green") == (1, AU_OTHERS)
    assert not page.all("tlp-amber")
    (row,) = page.all("recent-object")
    assert row.attrs["data-object-id"] == first["id"]


def test_another_tenant_sees_none_of_it(world: World, people: People) -> None:
    world.apply_policy(GREEN_TO_AU)
    me = world.scope("ng-nctc").identity_id
    ours = [indicator(me, tlp="green"), indicator(me, tlp="amber")]
    _publish(world, "ng-nctc", ours)
    ghana = world.scope("gh-ctfc").identity_id
    theirs = indicator(ghana, tlp="clear")
    _publish(world, "gh-ctfc", [theirs])

    c = people.sign_in(people.create("gh-ctfc"))
    html = c.get("/console/overview").text
    page = parse(html)
    assert page.one("total-objects").text == "1"  # its own, not what it received
    assert [r.attrs["data-object-id"] for r in page.all("recent-object")] == [theirs["id"]]
    for obj in ours:
        assert obj["id"] not in html

    empty = parse(people.sign_in(people.create("ke-nctc")).get("/console/overview").text)
    assert empty.one("total-objects").text == "0"
    assert "has not published any object yet" in empty.one("nothing-published").text
