"""TAXII 2.1 §5.4 Add Objects and §4.3 Status: validation, ownership, versions, atomicity."""

from __future__ import annotations

import orjson
import sqlalchemy as sa

from hub.store.models import ObjectVersion, Status
from hub.taxii.media import TAXII_MEDIA_TYPE
from hub.taxii.router import API_ROOT
from tests.conftest import World
from tests.factories import indicator, new_id
from tests.taxii.helpers import client, objects_url, post


def _stored(world: World) -> int:
    with world.db.session() as s:
        return int(s.execute(sa.select(sa.func.count()).select_from(ObjectVersion)).scalar_one())


def test_post_then_read_back_and_status(world: World) -> None:
    me = world.scope("ng-nctc").identity_id
    objs = [indicator(me), indicator(me)]
    with client(world, "ng-nctc") as c:
        url = objects_url(world, "shared-exchange")
        st = post(c, url, objs)
        assert st["status"] == "complete"
        assert (st["total_count"], st["success_count"], st["failure_count"]) == (2, 2, 0)
        assert {s["id"] for s in st["successes"]} == {o["id"] for o in objs}
        again = c.get(f"{API_ROOT}status/{st['id']}/")
        assert again.status_code == 200 and again.json()["id"] == st["id"]
        got = c.get(url).json()
    assert [o["id"] for o in got["objects"]] == [o["id"] for o in objs]
    assert got["objects"][0]["pattern"] == objs[0]["pattern"]


def test_bad_objects_fail_alone_with_reasons(world: World) -> None:
    me = world.scope("ng-nctc").identity_id
    other = world.scope("ke-nctc").identity_id
    good = indicator(me)
    bad_pattern = indicator(me, pattern="[ipv4-addr:value = '1.2.3.4'")
    not_mine = indicator(other)
    no_creator = indicator(me)
    del no_creator["created_by_ref"]
    not_stix = {"type": "indicator", "id": "nope"}
    with client(world, "ng-nctc") as c:
        st = post(
            c,
            objects_url(world, "shared-exchange"),
            [good, bad_pattern, not_mine, no_creator, not_stix, 42],
        )
    assert st["success_count"] == 1 and st["failure_count"] == 5
    reasons = {f["id"]: f["message"] for f in st["failures"]}
    assert "pattern" in reasons[bad_pattern["id"]]
    assert "created_by_ref" in reasons[not_mine["id"]]
    assert "created_by_ref" in reasons[no_creator["id"]]
    assert _stored(world) == 1 + _directory_objects(world)


def _directory_objects(world: World) -> int:
    with world.db.session() as s:
        from hub.store.models import Collection

        col = s.scalars(sa.select(Collection.id).where(Collection.alias == "hub-directory")).one()
        return int(
            s.execute(
                sa.select(sa.func.count()).where(ObjectVersion.collection_id == col)
            ).scalar_one()
        )


def test_versions_are_immutable_and_repost_is_noop(world: World) -> None:
    me = world.scope("ng-nctc").identity_id
    v1 = indicator(me, modified="2026-11-01T10:00:00.000Z")
    v2 = dict(v1, modified="2026-11-02T10:00:00.000Z", name="renamed")
    with client(world, "ng-nctc") as c:
        url = objects_url(world, "shared-exchange")
        post(c, url, [v1])
        st = post(c, url, [v1, v2])
        assert st["success_count"] == 2
        assert any("unchanged" in s.get("message", "") for s in st["successes"])
        versions = c.get(f"{url}{v1['id']}/versions/").json()["versions"]
        assert versions == ["2026-11-01T10:00:00.000000Z", "2026-11-02T10:00:00.000000Z"]
        latest = c.get(f"{url}{v1['id']}/").json()["objects"]
        assert [o["name"] for o in latest] == ["renamed"]


def test_latest_is_the_newest_version_whatever_the_order_of_envelopes(world: World) -> None:
    me = world.scope("ng-nctc").identity_id
    v2 = indicator(me, modified="2026-11-02T10:00:00.000Z", name="second")
    v1 = dict(v2, modified="2026-11-01T10:00:00.000Z", name="first")
    v3 = dict(v2, modified="2026-11-03T10:00:00.000Z", name="third")
    fresh = indicator(me, name="alone")
    url = objects_url(world, "shared-exchange")
    with client(world, "ng-nctc") as c:
        post(c, url, [v2, fresh])  # first publication of both
        post(c, url, [v1])  # an older version later: v2 stays the latest
    with client(world, "ke-nctc") as c:
        names = sorted(o["name"] for o in c.get(url).json()["objects"])
        assert names == ["alone", "second"]
    with client(world, "ng-nctc") as c:
        post(c, url, [v3])
    with client(world, "ke-nctc") as c:
        names = sorted(o["name"] for o in c.get(url).json()["objects"])
        assert names == ["alone", "third"]
        every = c.get(url, params={"match[version]": "all"}).json()["objects"]
        assert sorted(o["name"] for o in every) == ["alone", "first", "second", "third"]


def test_cannot_add_version_to_another_publishers_object(world: World) -> None:
    ng = world.scope("ng-nctc").identity_id
    ke = world.scope("ke-nctc").identity_id
    original = indicator(ng)
    hijack = dict(original, modified="2026-11-05T00:00:00.000Z", created_by_ref=ke, name="x")
    with client(world, "ng-nctc") as c:
        post(c, objects_url(world, "shared-exchange"), [original])
    with client(world, "ke-nctc") as c:
        st = post(c, objects_url(world, "shared-exchange"), [hijack])
    assert st["failure_count"] == 1
    assert "another publisher" in st["failures"][0]["message"]


def test_malformed_bodies_are_refused_whole(world: World) -> None:
    before = _stored(world)
    with client(world, "ng-nctc") as c:
        url = objects_url(world, "shared-exchange")
        h = {"Content-Type": TAXII_MEDIA_TYPE}
        assert c.post(url, content=b"{not json", headers=h).status_code == 400
        assert c.post(url, content=b"[1,2]", headers=h).status_code == 400
        assert c.post(url, content=b'{"objects": 5}', headers=h).status_code == 400
        r = c.post(url, content=b'{"objects": []}', headers={"Content-Type": "application/json"})
        assert r.status_code == 415
        assert r.headers["content-type"] == TAXII_MEDIA_TYPE
        big = orjson.dumps(
            {
                "objects": [
                    indicator(world.scope("ng-nctc").identity_id, description="x" * 3_000_000)
                ]
            }
        )
        r = c.post(url, content=big, headers=h)
        assert r.status_code == 413
        assert r.json()["http_status"] == "413"
    assert _stored(world) == before


def test_write_needs_permission_and_scope(world: World) -> None:
    me = world.scope("ng-nctc").identity_id
    with client(world, "ng-nctc") as c:
        r = c.post(
            objects_url(world, "interpol-broadcast"),
            json={"objects": [indicator(me)]},
            headers={"Content-Type": TAXII_MEDIA_TYPE},
        )
        assert r.status_code == 403
        r = c.post(
            objects_url(world, "ke-nctc-workspace"),
            json={"objects": [indicator(me)]},
            headers={"Content-Type": TAXII_MEDIA_TYPE},
        )
        assert r.status_code == 404
    with client(world, "ng-nctc", ("taxii:read",)) as c:
        r = c.post(
            objects_url(world, "shared-exchange"),
            json={"objects": [indicator(me)]},
            headers={"Content-Type": TAXII_MEDIA_TYPE},
        )
        assert r.status_code == 403


def test_write_only_inbox(world: World) -> None:
    me = world.scope("ng-nctc").identity_id
    obj = indicator(me, tlp="clear")
    with client(world, "ng-nctc") as c:
        url = objects_url(world, "interpol-inbox")
        assert post(c, url, [obj])["success_count"] == 1
        assert c.get(url).status_code == 403
    with client(world, "interpol") as c:
        got = c.get(objects_url(world, "interpol-inbox")).json()
    assert [o["id"] for o in got["objects"]] == [obj["id"]]


def test_status_is_private_to_its_tenant(world: World) -> None:
    me = world.scope("ng-nctc").identity_id
    with client(world, "ng-nctc") as c:
        st = post(c, objects_url(world, "shared-exchange"), [indicator(me)])
    with client(world, "ke-nctc") as c:
        theirs = c.get(f"{API_ROOT}status/{st['id']}/")
        absent = c.get(f"{API_ROOT}status/{new_id('x').split('--')[1]}/")
    assert theirs.status_code == absent.status_code == 404
    assert theirs.json()["description"] == absent.json()["description"]
    with world.db.session() as s:
        assert s.get(Status, st["id"]) is not None


def test_custom_content_only_where_allowed(world: World) -> None:
    me = world.scope("ng-nctc").identity_id
    custom = indicator(me, x_ng_case_number="NG-2026-0042")
    with client(world, "ng-nctc") as c:
        shared = post(c, objects_url(world, "shared-exchange"), [custom])
        private = post(c, objects_url(world, "ng-nctc-workspace"), [custom])
    assert shared["failure_count"] == 1
    assert private["success_count"] == 1
