"""The explain page: what a recipient gets of one of the tenant's objects, rule by rule and field
by field; another tenant's object is as unknown as one that does not exist."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import yaml

from hub.store.tenants import list_tenants
from tests.conftest import REPO, World
from tests.console.conftest import People
from tests.console.dom import Node, parse
from tests.factories import indicator
from tests.taxii.helpers import HEADERS, objects_url, post

CASE_FILES = [{"source_name": "ng-nctc-case-files", "external_id": "NG-CT-2026-0042"}]


def _nigeria(world: World) -> dict[str, Any]:
    """Nigeria's example policy in force and one AMBER indicator with case references."""
    world.apply_policy(yaml.safe_load((REPO / "policies" / "ng-nctc.yaml").read_text()))
    obj = indicator(
        world.scope("ng-nctc").identity_id,
        tlp="amber",
        confidence=80,
        external_references=CASE_FILES,
        description="Seen beaconing from Maiduguri.",
    )
    with httpx.Client(base_url=world.url, auth=world.creds("ng-nctc"), headers=HEADERS) as c:
        post(c, objects_url(world, "shared-exchange"), [obj])
    return obj


def _explain(c: httpx.Client, object_id: str, recipient: str) -> httpx.Response:
    return c.get("/console/explain", params={"object": object_id, "recipient": recipient})


def _fields(section: Node) -> dict[str, str]:
    return {row.attrs["data-property"]: row.attrs["data-outcome"] for row in section.all("field")}


def test_explains_the_deciding_rule_and_each_field_for_a_recipient_with_a_field_profile(
    world: World, people: People
) -> None:
    obj = _nigeria(world)
    c = people.sign_in(people.create("ng-nctc", "analyst"))
    r = _explain(c, obj["id"], "interpol")
    assert r.status_code == 200, r.text
    (section,) = parse(r.text).all("explanation")
    assert section.attrs["data-collection"] == "shared-exchange"
    assert section.one("verdict").text == "interpol gets this object."
    assert "interpol-indicators" in section.one("reason").text
    assert "TLP:AMBER" in section.one("tlp").text and "marking" in section.one("tlp").text
    decided = [s.attrs["data-rule"] for s in section.all("step", data_decides="true")]
    assert decided == ["interpol-indicators"]
    steps = {s.attrs["data-rule"]: s for s in section.all("step")}
    assert "does not apply" in steps["ghana-strict"].text  # matched nothing: said why
    assert "restricts fields" in steps["case-references-stay-national"].text
    fields = _fields(section)
    assert fields["external_references"] == "redact"
    assert fields["pattern"] == fields["description"] == fields["name"] == "kept"
    assert set(fields) == set(obj)  # every property of the object has a row
    action = section.one("field-action", data_selector="external_references")
    assert action.attrs["data-action"] == "redact" and "rule #" in action.text
    grant = section.one("grant").text
    assert "A grant is stored and in force" in grant and "restricted view" in grant

    ghana = parse(_explain(c, obj["id"], "gh-ctfc").text).one("explanation")
    assert [s.attrs["data-rule"] for s in ghana.all("step", data_decides="true")] == [
        "ecowas-indicators"
    ]
    assert set(_fields(ghana).values()) == {"kept"}
    assert "the object as published" in ghana.one("grant").text

    cted = parse(_explain(c, obj["id"], "cted").text).one("explanation")
    assert cted.one("verdict").text == "cted does not get this object."
    assert "default deny" in cted.one("reason").text
    assert cted.all("no-fields") and not cted.all("field")
    assert "No grant is stored" in cted.one("grant").text


def test_the_form_offers_own_recent_objects_and_every_other_tenant(
    world: World, people: People
) -> None:
    obj = _nigeria(world)
    ghana = indicator(world.scope("gh-ctfc").identity_id, tlp="clear")
    with httpx.Client(base_url=world.url, auth=world.creds("gh-ctfc"), headers=HEADERS) as c:
        post(c, objects_url(world, "shared-exchange"), [ghana])
    c = people.sign_in(people.create("ng-nctc"))
    r = c.get("/console/explain", params={"object": obj["id"]})
    assert r.status_code == 200
    page = parse(r.text)
    assert page.one(tag="input", id="object").attrs["value"] == obj["id"]
    suggested = [o.attrs["value"] for o in page.one(tag="datalist").all(tag="option")]
    assert suggested == [obj["id"]] and ghana["id"] not in r.text
    offered = {o.attrs["value"] for o in page.one(tag="select", id="recipient").all(tag="option")}
    with world.db.session() as s:
        others = {t.slug for t in list_tenants(s)} - {"ng-nctc"}
    assert offered == others | {""} and len(others) == 10
    assert page.all("choose-recipient") and not page.all("explanation")
    for label in page.all(tag="label"):
        assert page.all(tag="input", id=label.attrs["for"]) or page.all(
            tag="select", id=label.attrs["for"]
        )


def test_another_tenants_object_is_not_found_exactly_like_an_absent_one(
    world: World, people: People
) -> None:
    obj = _nigeria(world)
    intruder = people.sign_in(people.create("gh-ctfc"))  # it even holds the object
    theirs = _explain(intruder, obj["id"], "gh-ctfc")
    unknown = f"indicator--{uuid.uuid4()}"
    absent = _explain(intruder, unknown, "gh-ctfc")
    assert theirs.status_code == absent.status_code == 404
    message = parse(theirs.text).one("explain-error")
    assert message.attrs["role"] == "alert"
    assert message.text == parse(absent.text).one("explain-error").text == "No such object"
    for secret in ("Maiduguri", "interpol-indicators", "NG-CT-2026-0042", obj["name"]):
        assert secret not in theirs.text
    # Word for word the same page, but for the id asked about (echoed in the form).
    assert theirs.text.replace(obj["id"], "X") == absent.text.replace(unknown, "X")


def test_an_unknown_recipient_is_not_found_as_in_the_api(world: World, people: People) -> None:
    obj = _nigeria(world)
    c = people.sign_in(people.create("ng-nctc"))
    r = _explain(c, obj["id"], "no-such-tenant")
    assert r.status_code == 404
    assert parse(r.text).one("explain-error").text == "No such tenant"
    with httpx.Client(base_url=world.url, auth=world.creds("ng-nctc")) as api:
        same = api.get("/api/v1/explain", params={"object": obj["id"], "recipient": "nobody"})
    assert same.status_code == 404 and same.json()["description"] == "No such tenant"


def test_a_recipient_that_may_not_read_the_collection_is_told_so(
    world: World, people: People
) -> None:
    world.apply_policy(yaml.safe_load((REPO / "policies" / "ng-nctc.yaml").read_text()))
    obj = indicator(world.scope("ng-nctc").identity_id, tlp="green")
    with httpx.Client(base_url=world.url, auth=world.creds("ng-nctc"), headers=HEADERS) as c:
        post(c, objects_url(world, "ng-nctc-workspace"), [obj])
    c = people.sign_in(people.create("ng-nctc"))
    section = parse(_explain(c, obj["id"], "gh-ctfc").text).one("explanation")
    assert section.attrs["data-collection"] == "ng-nctc-workspace"
    assert section.one("verdict").text == "gh-ctfc does not get this object."
    assert "may not read the collection ng-nctc-workspace" in section.one("reason").text
    assert not section.all("trail") and "No grant is stored" in section.one("grant").text
