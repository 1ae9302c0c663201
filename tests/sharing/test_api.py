"""The policy API over a real server: apply, history, preview against what an apply changes,
explain, who may do what, and the example policies end to end through TAXII."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import yaml

from hub.jobs.handlers import default_handlers
from hub.jobs.runner import JobRunner
from hub.sharing.service import sync_policies
from tests.conftest import EXAMPLE_TENANTS, REPO, World
from tests.factories import indicator
from tests.taxii.helpers import HEADERS, objects_url, post

P = "/api/v1/policies"
YAML = {"Content-Type": "application/yaml"}
EXT_REFS = [{"source_name": "ng-nctc-case-files", "external_id": "NG-CT-2026-0042"}]

POLICY_A: dict[str, Any] = {
    "tenant": "ng-nctc",
    "description": "version A",
    "rules": [
        {
            "name": "ecowas-indicators",
            "effect": "share",
            "match": {"types": ["indicator"], "tlp": ["green", "amber"]},
            "recipients": {"communities": ["ecowas"]},
        },
        {
            "name": "interpol-confident-indicators",
            "effect": "share",
            "match": {"types": ["indicator"], "tlp": ["green", "amber"], "confidence": {"min": 70}},
            "recipients": {"tenants": ["interpol"]},
            "fields": {"external_references": "redact"},
        },
    ],
}
# B: Ghana keeps GREEN only and loses the case references; INTERPOL goes down to 50%.
POLICY_B: dict[str, Any] = {
    "tenant": "ng-nctc",
    "description": "version B",
    "rules": [
        {**POLICY_A["rules"][0], "match": {"types": ["indicator"], "tlp": ["green"]}},
        {
            **POLICY_A["rules"][1],
            "match": {"types": ["indicator"], "tlp": ["green", "amber"], "confidence": {"min": 50}},
        },
        {
            "name": "case-references-stay-home",
            "effect": "restrict",
            "recipients": {"tenants": ["gh-ctfc"]},
            "fields": {"external_references": "redact"},
        },
    ],
}


def api(world: World, slug: str, scopes: tuple[str, ...] | None = None) -> httpx.Client:
    """An API client of `slug` (HTTP Basic; every scope of its kind by default)."""
    cid, secret = world.creds(slug, scopes)
    return httpx.Client(base_url=world.url, auth=(cid, secret), timeout=30)


def run_jobs(world: World) -> None:
    """What the hub's runner thread does (the test server runs without a lifespan)."""
    JobRunner(world.db, default_handlers()).run_until_idle()


def put(c: httpx.Client, policy: dict[str, Any], **kw: Any) -> httpx.Response:
    return c.put(f"{P}/{policy['tenant']}", content=yaml.safe_dump(policy), headers=YAML, **kw)


def visible(world: World, slug: str) -> dict[str, dict[str, Any]]:
    """The indicators `slug` reads from shared-exchange, by id."""
    with httpx.Client(base_url=world.url, auth=world.creds(slug), headers=HEADERS) as c:
        body = c.get(objects_url(world, "shared-exchange"), params={"match[type]": "indicator"})
    return {o["id"]: o for o in body.json().get("objects", [])}


def publish(world: World) -> dict[str, dict[str, Any]]:
    """Six Nigerian indicators of different TLP and confidence, by short name."""
    me = world.scope("ng-nctc").identity_id
    objs = {
        "g80": indicator(me, tlp="green", confidence=80, external_references=EXT_REFS),
        "g60": indicator(me, tlp="green", confidence=60),
        "a80": indicator(me, tlp="amber", confidence=80, external_references=EXT_REFS),
        "a55": indicator(me, tlp="amber", confidence=55),
        "a20": indicator(me, tlp="amber", confidence=20),
        "c10": indicator(me, tlp="clear", confidence=10),
    }
    with httpx.Client(base_url=world.url, auth=world.creds("ng-nctc"), headers=HEADERS) as c:
        post(c, objects_url(world, "shared-exchange"), list(objs.values()))
    return objs


def test_put_stores_versions_and_queues_the_reevaluation(world: World) -> None:
    with api(world, "ng-nctc") as c:
        first = put(c, POLICY_A, params={"comment": "first cut"})
        assert first.status_code == 202, first.text
        body = first.json()
        assert body["version"] == 1 and body["changed"] and body["job"]["state"] == "queued"
        job_url = first.headers["Location"]
        assert job_url == f"/api/v1/jobs/{body['job']['id']}"
        run_jobs(world)
        job = c.get(job_url).json()
        assert job["state"] == "done" and job["kind"] == "policy.reevaluate"
        assert job["progress"]["done"] == job["progress"]["total"]

        second = c.put(f"{P}/ng-nctc", json=POLICY_B)  # JSON works as well as YAML
        assert second.status_code == 202 and second.json()["version"] == 2
        same = c.put(f"{P}/ng-nctc", json=POLICY_B)
        assert same.status_code == 200 and not same.json()["changed"] and same.json()["job"] is None

        current = c.get(f"{P}/ng-nctc").json()
        assert current["version"] == 2 and current["policy"]["description"] == "version B"
        assert current["author"] == world.creds("ng-nctc")[0]
        as_yaml = c.get(f"{P}/ng-nctc", params={"format": "yaml"})
        assert as_yaml.headers["content-type"].startswith("application/yaml")
        assert yaml.safe_load(as_yaml.text)["rules"][2]["name"] == "case-references-stay-home"

        history = c.get(f"{P}/ng-nctc/history").json()
        v2, v1 = history["items"]
        assert (v2["version"], v1["version"], v1["comment"]) == (2, 1, "first cut")
        assert v1["diff"].startswith("--- /dev/null\n+++ b/policies/ng-nctc.yaml@v1")
        assert "-description: version A\n+description: version B\n" in v2["diff"]
        assert "+- name: case-references-stay-home" in v2["diff"]
        assert len(v2["content_hash"]) == 64 and v2["created_at"].endswith("Z")
        paged = c.get(f"{P}/ng-nctc/history", params={"limit": 1}).json()
        assert [i["version"] for i in paged["items"]] == [2] and paged["next"] == 2
        older = c.get(f"{P}/ng-nctc/history", params={"limit": 1, "before": 2}).json()
        assert [i["version"] for i in older["items"]] == [1] and older["next"] is None
        schema = c.get(f"{P}/schema").json()
        assert schema["title"] == "Fusion Hub sharing policy"


def test_an_invalid_policy_names_rule_and_field_and_changes_nothing(world: World) -> None:
    bad_field = {
        "tenant": "ng-nctc",
        "rules": [
            {
                "name": "hide-patterns",
                "effect": "share",
                "match": {"types": ["indicator"]},
                "recipients": {"tenants": ["interpol"]},
                "fields": {"pattern": "redact"},
            }
        ],
    }
    bad_name = {
        "tenant": "ng-nctc",
        "rules": [
            POLICY_A["rules"][0],
            {"name": "to-atlantis", "effect": "share", "recipients": {"tenants": ["atlantis"]}},
        ],
    }
    with api(world, "ng-nctc") as c:
        assert put(c, POLICY_A).status_code == 202
        r = put(c, bad_field)
        assert r.status_code == 400 and r.json()["error_code"] == "invalid-sharing-policy"
        (problem,) = r.json()["details"]["problems"]
        assert "rules[0] (hide-patterns).fields.pattern" in problem
        assert "required by STIX 2.1 for indicator" in problem
        assert problem.startswith("policy:")  # with the YAML line
        r = c.put(f"{P}/ng-nctc", json=bad_name)
        (problem,) = r.json()["details"]["problems"]
        assert "rules[1] (to-atlantis).recipients.tenants.0: unknown tenant 'atlantis'" in problem
        r = c.put(f"{P}/ng-nctc", json={**POLICY_A, "tenant": "gh-ctfc"})
        assert r.status_code == 400 and "tenant: must be 'ng-nctc'" in r.text
        assert c.put(f"{P}/ng-nctc", content="{not json", headers={
            "Content-Type": "application/json"}).status_code == 400  # fmt: skip
        assert c.put(f"{P}/ng-nctc", content="x", headers={
            "Content-Type": "text/plain"}).status_code == 415  # fmt: skip
        bad_preview = c.post(f"{P}/ng-nctc/preview", json=bad_field)
        assert bad_preview.status_code == 400 and "fields.pattern" in bad_preview.text
        history = c.get(f"{P}/ng-nctc/history").json()["items"]
        assert [v["version"] for v in history] == [1]
        assert c.get(f"{P}/ng-nctc").json()["policy"]["description"] == "version A"


def test_preview_shows_what_an_apply_then_changes(world: World) -> None:
    objs = publish(world)
    ids = {name: o["id"] for name, o in objs.items()}
    with api(world, "ng-nctc") as c:
        assert put(c, POLICY_A).status_code == 202
        run_jobs(world)
        before = {slug: visible(world, slug) for slug in ("interpol", "gh-ctfc")}
        assert set(before["interpol"]) == {ids["g80"], ids["a80"], ids["c10"]}
        assert "external_references" not in before["interpol"][ids["a80"]]
        unchanged = c.post(f"{P}/ng-nctc/preview", content=yaml.safe_dump(POLICY_A), headers=YAML)
        assert unchanged.json()["identical"]
        assert all(
            r["gain"]["count"] == r["lose"]["count"] == r["change"]["count"] == 0
            for r in unchanged.json()["recipients"]
        )

        report = c.post(f"{P}/ng-nctc/preview", json=POLICY_B).json()
        assert c.get(f"{P}/ng-nctc").json()["version"] == 1  # a preview writes nothing
        impact = {r["tenant"]: r for r in report["recipients"]}
        assert put(c, POLICY_B).status_code == 202
        run_jobs(world)
    after = {slug: visible(world, slug) for slug in ("interpol", "gh-ctfc")}
    for slug in ("interpol", "gh-ctfc"):
        gained, lost = set(after[slug]) - set(before[slug]), set(before[slug]) - set(after[slug])
        assert set(impact[slug]["gain"]["ids"]) == gained, slug
        assert set(impact[slug]["lose"]["ids"]) == lost, slug
        assert impact[slug]["gain"]["count"] == len(gained)
        assert impact[slug]["lose"]["count"] == len(lost)
    assert set(impact["interpol"]["gain"]["ids"]) == {ids["g60"], ids["a55"]}
    assert set(impact["gh-ctfc"]["lose"]["ids"]) == {ids["a80"], ids["a55"], ids["a20"]}
    assert impact["gh-ctfc"]["change"]["ids"] == [ids["g80"]]
    assert impact["gh-ctfc"]["keep"] == 3  # g80, g60 and the CLEAR one
    assert "external_references" in before["gh-ctfc"][ids["g80"]]
    assert "external_references" not in after["gh-ctfc"][ids["g80"]]
    assert report["objects"] == 6 and report["current_version"] == 1


def test_explain_names_the_rule_and_the_fields(world: World) -> None:
    objs = publish(world)
    world.apply_policy(POLICY_A)
    with api(world, "ng-nctc") as c:
        r = c.get("/api/v1/explain", params={"object": objs["a80"]["id"], "recipient": "interpol"})
        assert r.status_code == 200, r.text
        (entry,) = r.json()["explanations"]
        decision = entry["decision"]
        assert decision["granted"] and "interpol-confident-indicators" in decision["reason"]
        assert decision["fields"]["external_references"]["action"] == "redact"
        assert entry["grant"] == {
            "stored": True,
            "in_force": True,
            "date_added": entry["grant"]["date_added"],
            "view": "restricted view",
        }
        assert any("interpol-confident-indicators" in line for line in entry["explanation"])
        low = c.get(
            "/api/v1/explain", params={"object": objs["a20"]["id"], "recipient": "interpol"}
        )
        (entry,) = low.json()["explanations"]
        assert not entry["decision"]["granted"] and not entry["grant"]["stored"]
        step = next(s for s in entry["decision"]["trail"] if s["rule"].startswith("interpol"))
        assert step["effect"] == "none" and "confidence" in step["reason"]
        unknown = c.get("/api/v1/explain", params={"object": objs["a20"]["id"], "recipient": "x"})
        assert unknown.status_code == 404
    with api(world, "gh-ctfc") as other:
        theirs = other.get(
            "/api/v1/explain", params={"object": objs["g80"]["id"], "recipient": "gh-ctfc"}
        )
        absent = other.get(
            "/api/v1/explain",
            params={"object": f"indicator--{uuid.uuid4()}", "recipient": "gh-ctfc"},
        )
    assert theirs.status_code == absent.status_code == 404
    assert theirs.json()["description"] == absent.json()["description"]


def test_who_may_do_what(world: World) -> None:
    with api(world, "ng-nctc") as owner:
        job = put(owner, POLICY_A).json()["job"]["id"]
    with api(world, "ke-nctc") as other:
        for method, path in (
            ("GET", f"{P}/ng-nctc"),
            ("GET", f"{P}/ng-nctc/history"),
            ("PUT", f"{P}/ng-nctc"),
            ("POST", f"{P}/ng-nctc/preview"),
            ("GET", f"{P}/no-such-tenant"),  # the same answer, whether it exists or not
        ):
            r = other.request(method, path, content=yaml.safe_dump(POLICY_A), headers=YAML)
            assert r.status_code == 403, (method, path, r.text)
            assert "version A" not in r.text
        theirs, absent = other.get(f"/api/v1/jobs/{job}"), other.get(f"/api/v1/jobs/{uuid.uuid4()}")
        assert theirs.status_code == absent.status_code == 404
        assert theirs.json()["description"] == absent.json()["description"]
    with api(world, "ng-nctc", ("policy:read",)) as reader:
        assert reader.get(f"{P}/ng-nctc").status_code == 200
        assert put(reader, POLICY_B).status_code == 403
    with api(world, "ng-nctc", ("taxii:read",)) as taxii_only:
        assert taxii_only.get(f"{P}/ng-nctc").status_code == 403
    with api(world, "hub-operator") as operator:
        assert operator.get(f"{P}/ng-nctc").json()["version"] == 1
        assert len(operator.get(f"{P}/ng-nctc/history").json()["items"]) == 1
        assert operator.get(f"{P}/no-such-tenant").status_code == 404
        assert put(operator, POLICY_B).status_code == 403
        assert operator.post(f"{P}/ng-nctc/preview", json=POLICY_B).status_code == 403
    with api(world, "hub-operator", ("policy:read",)) as without_admin:
        assert without_admin.get(f"{P}/ng-nctc").status_code == 403


@pytest.mark.e2e
def test_example_policies_give_partners_different_views(world: World) -> None:
    me = world.scope("ng-nctc").identity_id
    early = indicator(me, tlp="green", confidence=80, external_references=EXT_REFS)
    url = objects_url(world, "shared-exchange")
    with httpx.Client(base_url=world.url, auth=world.creds("ng-nctc"), headers=HEADERS) as c:
        post(c, url, [early])  # decided again when the policies arrive
        applied = sync_policies(world.db, REPO / "policies", EXAMPLE_TENANTS, author="test")
        assert {a.tenant for a in applied} >= {"ng-nctc", "ml-cnlt"} and all(
            a.changed for a in applied
        )
        late = indicator(me, tlp="amber", confidence=75, external_references=EXT_REFS)
        post(c, url, [late])  # decided under the policy in force
    interpol, ghana, cted = (visible(world, s) for s in ("interpol", "gh-ctfc", "cted"))
    for obj in (early, late):
        assert ghana[obj["id"]]["external_references"] == EXT_REFS
        assert "external_references" not in interpol[obj["id"]]
        assert interpol[obj["id"]]["pattern"] == obj["pattern"]
        assert obj["id"] not in cted  # partners-get-reports: reports, not indicators
