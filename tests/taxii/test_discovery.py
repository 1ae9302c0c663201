"""TAXII 2.1 §4: discovery, API root, collections, content negotiation."""

from __future__ import annotations

import httpx

from hub.taxii.media import TAXII_MEDIA_TYPE
from hub.taxii.router import API_ROOT
from tests.conftest import World
from tests.taxii.helpers import client, collection_id


def test_discovery_and_api_root(world: World) -> None:
    with client(world, "ng-nctc") as c:
        d = c.get("/taxii2/")
        assert d.status_code == 200
        assert d.headers["content-type"] == TAXII_MEDIA_TYPE
        body = d.json()
        assert body["default"] == body["api_roots"][0]
        assert body["default"].endswith(API_ROOT)
        root = c.get(API_ROOT).json()
        assert root["versions"] == [TAXII_MEDIA_TYPE]
        assert root["max_content_length"] == 2 * 1024 * 1024


def test_collections_are_computed_per_tenant(world: World) -> None:
    with client(world, "ng-nctc") as c:
        cols = {x["alias"]: x for x in c.get(API_ROOT + "collections/").json()["collections"]}
    assert cols["shared-exchange"]["can_read"] and cols["shared-exchange"]["can_write"]
    assert cols["interpol-broadcast"]["can_read"] and not cols["interpol-broadcast"]["can_write"]
    assert not cols["interpol-inbox"]["can_read"] and cols["interpol-inbox"]["can_write"]
    assert cols["ng-nctc-workspace"]["can_read"] and cols["ng-nctc-workspace"]["can_write"]
    assert "ke-nctc-workspace" not in cols
    assert "sahel-exchange" not in cols
    with client(world, "interpol") as c:
        cols = {x["alias"]: x for x in c.get(API_ROOT + "collections/").json()["collections"]}
    assert cols["interpol-inbox"]["can_read"] and not cols["interpol-inbox"]["can_write"]
    assert cols["interpol-broadcast"]["can_write"]
    assert not any(a.endswith("-workspace") for a in cols)


def test_read_only_client_cannot_write(world: World) -> None:
    with client(world, "ng-nctc", ("taxii:read",)) as c:
        cols = {x["alias"]: x for x in c.get(API_ROOT + "collections/").json()["collections"]}
    assert cols["shared-exchange"]["can_read"] and not cols["shared-exchange"]["can_write"]


def test_invisible_collection_is_404_like_absent(world: World) -> None:
    hidden = collection_id(world, "ke-nctc-workspace")
    with client(world, "ng-nctc") as c:
        a = c.get(f"{API_ROOT}collections/{hidden}/")
        b = c.get(f"{API_ROOT}collections/00000000-0000-4000-8000-000000000000/")
        c1 = c.get(f"{API_ROOT}collections/{hidden}/objects/")
        c2 = c.get(f"{API_ROOT}collections/00000000-0000-4000-8000-000000000000/objects/")
    assert a.status_code == b.status_code == c1.status_code == c2.status_code == 404
    for r in (a, b, c1, c2):
        assert r.headers["content-type"] == TAXII_MEDIA_TYPE
        assert set(r.json()) >= {"title", "http_status", "error_id"}
    assert a.json()["description"] == b.json()["description"]
    assert c1.json()["description"] == c2.json()["description"]


def test_content_negotiation(world: World) -> None:
    cid, secret = world.creds("ng-nctc")
    with httpx.Client(base_url=world.url, auth=(cid, secret)) as c:
        assert c.get("/taxii2/", headers={"Accept": "application/taxii+json"}).status_code == 200
        assert c.get("/taxii2/", headers={"Accept": "*/*"}).status_code == 200
        for bad in ("application/xml", "application/taxii+json;version=2.0", "text/html"):
            r = c.get("/taxii2/", headers={"Accept": bad})
            assert r.status_code == 406, bad
            assert r.headers["content-type"] == TAXII_MEDIA_TYPE
            assert r.json()["http_status"] == "406"


def test_unknown_route_is_taxii_404(world: World) -> None:
    with client(world, "ng-nctc") as c:
        r = c.get(API_ROOT + "nothing-here/")
    assert r.status_code == 404
    assert r.headers["content-type"] == TAXII_MEDIA_TYPE


def test_missing_credentials_get_401_with_challenge(world: World) -> None:
    with httpx.Client(base_url=world.url) as c:
        r = c.get("/taxii2/", headers={"Accept": TAXII_MEDIA_TYPE})
    assert r.status_code == 401
    assert "Basic" in r.headers["www-authenticate"]
    assert r.json()["http_status"] == "401"
