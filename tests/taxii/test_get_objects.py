"""TAXII 2.1 §5.3/5.5/5.6/5.7/5.8: filters, pagination, versions, manifests, visibility, delete."""

from __future__ import annotations

from typing import Any

import httpx

from hub.taxii.media import TAXII_MEDIA_TYPE
from tests.conftest import World
from tests.factories import indicator, malware
from tests.taxii.helpers import client, objects_url, post


def _all_pages(c: httpx.Client, url: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    params = dict(params)
    while True:
        r = c.get(url, params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        out.extend(body.get("objects", []))
        if not body["more"]:
            assert "next" not in body
            return out
        params["next"] = body["next"]


def _publish(world: World, n: int, **kw: Any) -> list[dict[str, Any]]:
    me = world.scope("ng-nctc").identity_id
    objs = [indicator(me, **kw) for _ in range(n)]
    with client(world, "ng-nctc") as c:
        post(c, objects_url(world, "shared-exchange"), objs)
    return objs


def test_paging_returns_everything_once_in_order(world: World) -> None:
    objs = _publish(world, 23)
    with client(world, "ke-nctc") as c:
        url = objects_url(world, "shared-exchange")
        first = c.get(url, params={"limit": 5})
        assert first.headers["content-type"] == TAXII_MEDIA_TYPE
        assert first.json()["more"] is True
        assert first.headers["X-TAXII-Date-Added-First"] < first.headers["X-TAXII-Date-Added-Last"]
        got = _all_pages(c, url, {"limit": 5, "match[type]": "indicator"})
    assert [o["id"] for o in got] == [o["id"] for o in objs]


def test_objects_added_while_paging_are_neither_skipped_nor_repeated(world: World) -> None:
    first_batch = _publish(world, 6)
    with client(world, "ke-nctc") as c:
        url = objects_url(world, "shared-exchange")
        page = c.get(url, params={"limit": 4, "match[type]": "indicator"}).json()
        seen = [o["id"] for o in page["objects"]]
        second_batch = _publish(world, 3)
        rest = _all_pages(c, url, {"limit": 4, "match[type]": "indicator", "next": page["next"]})
    seen += [o["id"] for o in rest]
    assert seen == [o["id"] for o in first_batch + second_batch]


def test_added_after_and_type_and_id_filters(world: World) -> None:
    objs = _publish(world, 4)
    me = world.scope("ng-nctc").identity_id
    mal = malware(me)
    with client(world, "ng-nctc") as c:
        post(c, objects_url(world, "shared-exchange"), [mal])
    with client(world, "ke-nctc") as c:
        url = objects_url(world, "shared-exchange")
        r = c.get(url, params={"match[type]": "indicator", "limit": 2})
        cut = r.headers["X-TAXII-Date-Added-Last"]
        after = c.get(url, params={"added_after": cut, "match[type]": "indicator,malware"}).json()
        assert [o["id"] for o in after["objects"]] == [objs[2]["id"], objs[3]["id"], mal["id"]]
        only = c.get(url, params={"match[id]": f"{objs[1]['id']},{mal['id']}"}).json()
        assert {o["id"] for o in only["objects"]} == {objs[1]["id"], mal["id"]}
        none = c.get(url, params={"match[spec_version]": "2.0", "match[type]": "indicator"}).json()
        assert none == {"more": False}
        assert c.get(url, params={"added_after": "yesterday"}).status_code == 400
        assert c.get(url, params={"limit": "0"}).status_code == 400
        assert c.get(url, params={"match[version]": "sometimes"}).status_code == 400
        assert (
            c.get(url, params={"unknown_param": "x", "match[type]": "malware"}).status_code == 200
        )


def test_version_filters(world: World) -> None:
    me = world.scope("ng-nctc").identity_id
    v1 = indicator(me, modified="2026-11-01T10:00:00.000Z")
    v2 = dict(v1, modified="2026-11-02T10:00:00.000Z")
    v3 = dict(v1, modified="2026-11-03T10:00:00.000Z", revoked=True)
    with client(world, "ng-nctc") as c:
        post(c, objects_url(world, "shared-exchange"), [v2, v1, v3])
    with client(world, "ke-nctc") as c:
        url = objects_url(world, "shared-exchange") + v1["id"] + "/"

        def mods(**p: str) -> list[str]:
            return sorted(o["modified"] for o in c.get(url, params=p).json()["objects"])

        assert mods() == [v3["modified"]]
        assert mods(**{"match[version]": "first"}) == [v1["modified"]]
        assert mods(**{"match[version]": "all"}) == sorted(
            [v1["modified"], v2["modified"], v3["modified"]]
        )
        assert mods(**{"match[version]": "first,last"}) == [v1["modified"], v3["modified"]]
        assert mods(**{"match[version]": "2026-11-02T10:00:00.000Z"}) == [v2["modified"]]
        assert c.get(url).json()["objects"][0]["revoked"] is True


def test_manifest(world: World) -> None:
    objs = _publish(world, 3)
    with client(world, "ke-nctc") as c:
        url = objects_url(world, "shared-exchange").replace("/objects/", "/manifest/")
        body = c.get(url, params={"match[type]": "indicator", "limit": 2}).json()
        assert body["more"] is True
        rec = body["objects"][0]
        assert rec["id"] == objs[0]["id"]
        assert rec["version"] == "2026-11-01T10:00:00.000000Z"
        assert rec["media_type"] == "application/stix+json;version=2.1"
        rest = c.get(
            url, params={"match[type]": "indicator", "limit": 2, "next": body["next"]}
        ).json()
        assert [r["id"] for r in rest["objects"]] == [objs[2]["id"]]


ECOWAS_POLICY = {
    "tenant": "ng-nctc",
    "rules": [
        {
            "name": "ecowas-green-amber",
            "effect": "share",
            "match": {"tlp": ["green", "amber"]},
            "recipients": {"communities": ["ecowas"]},
        }
    ],
}


def test_policy_and_tlp_floor_decide_visibility(world: World) -> None:
    world.apply_policy(ECOWAS_POLICY)
    me = world.scope("ng-nctc").identity_id
    clear, green, amber, red, unmarked = (
        indicator(me, tlp="clear"),
        indicator(me, tlp="green"),
        indicator(me, tlp="amber"),
        indicator(me, tlp="red"),
        indicator(me, tlp=None),
    )
    everything = {o["id"] for o in (clear, green, amber, red, unmarked)}
    url = objects_url(world, "shared-exchange")
    with client(world, "ng-nctc") as c:
        post(c, url, [clear, green, amber, red, unmarked])
        own = c.get(url, params={"match[type]": "indicator"}).json()["objects"]
    assert {o["id"] for o in own} == everything

    def visible(slug: str) -> set[str]:
        with client(world, slug) as c:
            body = c.get(url, params={"match[type]": "indicator"}).json()
            seen = {o["id"] for o in body.get("objects", [])}
            for oid in everything - seen:
                assert c.get(f"{url}{oid}/").status_code == 404
                assert c.get(f"{url}{oid}/versions/").status_code == 404
            return seen

    # Ghana is in ECOWAS with Nigeria: the rule shares GREEN and AMBER (and the unmarked
    # object, AMBER by default); RED needs a recipient named on the object itself.
    assert visible("gh-ctfc") == {clear["id"], green["id"], amber["id"], unmarked["id"]}
    # INTERPOL shares no community with Nigeria and no rule names it: CLEAR only.
    assert visible("interpol") == {clear["id"]}


def test_without_a_policy_only_clear_leaves_the_publisher(world: World) -> None:
    me = world.scope("ng-nctc").identity_id
    clear, green = indicator(me, tlp="clear"), indicator(me, tlp="green")
    with client(world, "ng-nctc") as c:
        post(c, objects_url(world, "shared-exchange"), [clear, green])
    with client(world, "gh-ctfc") as c:
        got = c.get(objects_url(world, "shared-exchange"), params={"match[type]": "indicator"})
    assert [o["id"] for o in got.json()["objects"]] == [clear["id"]]


def test_granular_red_field_is_removed_for_recipients_not_named(world: World) -> None:
    world.apply_policy(ECOWAS_POLICY)
    me = world.scope("ng-nctc").identity_id
    from tests.factories import TLP

    obj = indicator(
        me,
        tlp="green",
        description="source: informant NG-HUMINT-17",
        granular_markings=[{"marking_ref": TLP["red"], "selectors": ["description"]}],
    )
    url = objects_url(world, "shared-exchange")
    with client(world, "ng-nctc") as c:
        post(c, url, [obj])
        mine = c.get(f"{url}{obj['id']}/").json()["objects"][0]
    assert mine["description"] == obj["description"]
    with client(world, "gh-ctfc") as c:
        r = c.get(f"{url}{obj['id']}/")
    assert r.status_code == 200
    theirs = r.json()["objects"][0]
    assert "description" not in theirs
    assert "informant" not in r.text
    assert theirs["pattern"] == obj["pattern"]


def test_new_policy_revokes_and_grants(world: World) -> None:
    world.apply_policy(ECOWAS_POLICY)
    me = world.scope("ng-nctc").identity_id
    amber = indicator(me, tlp="amber")
    url = objects_url(world, "shared-exchange")
    with client(world, "ng-nctc") as c:
        post(c, url, [amber])
    with client(world, "gh-ctfc") as c:
        assert c.get(f"{url}{amber['id']}/").status_code == 200
        first = c.get(url, params={"match[type]": "indicator"})
        mark = first.headers["X-TAXII-Date-Added-Last"]
    world.apply_policy({"tenant": "ng-nctc", "rules": []})
    with client(world, "gh-ctfc") as c:
        assert c.get(f"{url}{amber['id']}/").status_code == 404
    world.apply_policy(ECOWAS_POLICY)
    with client(world, "gh-ctfc") as c:
        # Granted again: a reader polling with added_after sees it as newly added.
        again = c.get(url, params={"match[type]": "indicator", "added_after": mark}).json()
    assert [o["id"] for o in again["objects"]] == [amber["id"]]


def test_next_token_is_bound_to_reader_and_query(world: World) -> None:
    _publish(world, 5)
    url = objects_url(world, "shared-exchange")
    with client(world, "ke-nctc") as c:
        token = c.get(url, params={"limit": 2, "match[type]": "indicator"}).json()["next"]
        assert (
            c.get(url, params={"limit": 2, "match[type]": "indicator", "next": token}).status_code
            == 200
        )
        other_query = c.get(url, params={"limit": 2, "match[type]": "malware", "next": token})
        assert other_query.status_code == 400
        tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        assert c.get(url, params={"match[type]": "indicator", "next": tampered}).status_code == 400
    with client(world, "gh-ctfc") as c:
        stolen = c.get(url, params={"limit": 2, "match[type]": "indicator", "next": token})
    assert stolen.status_code == 400
    assert "objects" not in stolen.json()


def test_delete_object(world: World) -> None:
    me = world.scope("ng-nctc").identity_id
    v1 = indicator(me, modified="2026-11-01T10:00:00.000Z")
    v2 = dict(v1, modified="2026-11-02T10:00:00.000Z")
    url = objects_url(world, "shared-exchange")
    with client(world, "ng-nctc") as c:
        post(c, url, [v1, v2])
    with client(world, "ke-nctc") as c:
        assert c.delete(f"{url}{v1['id']}/").status_code == 403
    with client(world, "ng-nctc") as c:
        r = c.delete(f"{url}{v1['id']}/", params={"match[version]": "2026-11-02T10:00:00.000Z"})
        assert r.status_code == 200
        left = c.get(f"{url}{v1['id']}/").json()["objects"]
        assert [o["modified"] for o in left] == [v1["modified"]]
        assert c.delete(f"{url}{v1['id']}/").status_code == 200
        assert c.get(f"{url}{v1['id']}/").status_code == 404
        assert c.delete(f"{url}{v1['id']}/").status_code == 404
