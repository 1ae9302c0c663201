"""`/api/v1/audit/…` over HTTP: scope, isolation, JSON Lines, checkpoints and proofs."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from hub.audit import Checkpoint, PublicKey
from hub.audit.proofs import Proof, check_proof, entry_leaf
from hub.audit.router import PREFIX
from tests.audit.test_queries import ABSENT, publish, read
from tests.conftest import World


def api(world: World, slug: str, scopes: tuple[str, ...] = ("audit:read",)) -> httpx.Client:
    """An HTTP client of tenant `slug` with `scopes`."""
    return httpx.Client(base_url=world.url + PREFIX, auth=world.creds(slug, scopes), timeout=30)


@pytest.fixture
def scene(world: World) -> dict[str, Any]:
    a = publish(world, "ng-nctc")
    b = publish(world, "gh-ctfc")
    read(world, "ke-nctc", a, b)
    read(world, "interpol", a)
    return {"world": world, "a": a[0], "b": b[0]}


def test_every_route_requires_audit_read(scene: dict[str, Any]) -> None:
    world = scene["world"]
    routes = [f"/objects/{scene['a']}/recipients", "/recipients/ke-nctc/objects", "/policy",
              "/entries", "/checkpoints", "/public-key", "/proof?from_seq=1&to_seq=2"]  # fmt: skip
    with httpx.Client(base_url=world.url + PREFIX) as anonymous:
        assert {anonymous.get(r).status_code for r in routes} == {401}
        assert anonymous.post("/checkpoints").status_code == 401
    with api(world, "ng-nctc", ("taxii:read", "taxii:write")) as c:
        assert {c.get(r).status_code for r in routes} == {403}
        assert c.post("/checkpoints").status_code == 403
    with api(world, "ng-nctc") as c:
        assert {c.get(r).status_code for r in routes} == {200}


def test_another_tenants_object_is_a_404_like_an_absent_one(scene: dict[str, Any]) -> None:
    with api(scene["world"], "gh-ctfc") as c:
        theirs = c.get(f"/objects/{scene['a']}/recipients")
        absent = c.get(f"/objects/{ABSENT}/recipients")
        theirs_jsonl = c.get(f"/objects/{scene['a']}/recipients", params={"format": "jsonl"})
    assert theirs.status_code == absent.status_code == theirs_jsonl.status_code == 404

    def strip(r: httpx.Response) -> dict[str, Any]:
        body: dict[str, Any] = r.json()
        body.pop("error_id")
        return body

    assert strip(theirs) == strip(absent) == strip(theirs_jsonl)
    assert theirs.headers["content-type"] == absent.headers["content-type"]


def test_the_publisher_gets_recipients_as_json_and_json_lines(scene: dict[str, Any]) -> None:
    with api(scene["world"], "ng-nctc") as c:
        page = c.get(f"/objects/{scene['a']}/recipients", params={"limit": 1}).json()
        rest = c.get(f"/objects/{scene['a']}/recipients", params={"after": page["next"]}).json()
        lines = c.get(f"/objects/{scene['a']}/recipients", params={"format": "jsonl", "limit": 1})
        received = c.get("/recipients/ke-nctc/objects").json()
        nothing = c.get("/recipients/gh-ctfc/objects").json()
    assert [i["recipient"] for i in page["items"] + rest["items"]] == ["ke-nctc", "interpol"]
    assert rest["next"] is None
    assert lines.headers["content-type"] == "application/x-ndjson"
    exported = [orjson.loads(line) for line in lines.text.splitlines()]
    assert exported == page["items"] + rest["items"]
    assert [[o[0] for o in i["objects"]] for i in received["items"]] == [[scene["a"]]]
    assert nothing == {"items": [], "next": None}


def test_a_tenants_entries_are_its_own(scene: dict[str, Any]) -> None:
    with api(scene["world"], "interpol") as c:
        items = c.get("/entries", params={"action": "read,publish"}).json()["items"]
        own_clients = c.get("/entries", params={"action": "client.create"}).json()["items"]
        assert c.get("/entries", params={"tenant": "ke-nctc"}).json()["items"] == []
        assert c.get("/entries", params={"since": "yesterday"}).status_code == 400
    assert [(i["action"], i["tenant"]) for i in items] == [("read", "interpol")]
    assert own_clients  # its own client's registration, recorded by the hub
    with api(scene["world"], "hub-operator") as c:
        everything = c.get("/entries", params={"action": "read,publish"}).json()["items"]
    # The hub's own publication of the directory (by the tenants sync), two publications, two reads.
    assert len(everything) == 5
    assert everything[0]["action"] == "publish" and everything[0]["tenant"] is None


def test_a_tenant_keeps_checkpoints_and_verifies_a_proof_offline(scene: dict[str, Any]) -> None:
    world = scene["world"]
    with api(world, "interpol") as c:
        key = PublicKey.from_pem(c.get("/public-key").json()["pem"].encode())
        old = Checkpoint.from_dict(c.post("/checkpoints").json())
        read(world, "interpol", (scene["a"], 1))
        read(world, "ke-nctc", (scene["b"], 1))
        new = Checkpoint.from_dict(c.post("/checkpoints").json())
        listed = [Checkpoint.from_dict(i) for i in c.get("/checkpoints").json()["items"]]
        body = c.get("/proof", params={"from_seq": old.seq, "to_seq": new.seq}).json()
        mine = [orjson.loads(x) for x in c.get("/entries", params={"format": "jsonl"}).text.split()]
    assert listed == [old, new] and new.seq == old.seq + 2
    proof = Proof(**body)
    assert check_proof(proof, old, new, key) is None
    own = next(e for e in mine if e["seq"] == new.seq - 1)  # interpol's second read
    assert entry_leaf(own) == proof.leaves[0]
