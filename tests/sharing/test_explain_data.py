"""The explanation as data: which step decides, and what becomes of each property."""

from __future__ import annotations

from typing import Any

from hub.sharing.decision import resolve_references
from hub.sharing.explain import explain_data, property_outcomes
from tests.sharing.helpers import TLP, policy, sdo, share, verdict

DENY_OPS: dict[str, Any] = {
    "name": "ops",
    "effect": "deny",
    "match": {"labels": {"any_of": ["ongoing-operation"]}},
    "recipients": {"everyone": True},
}


def _deciding(data: dict[str, Any]) -> list[str]:
    return [s["rule"] for s in data["trail"] if s["decides"]]


def test_the_first_sharing_rule_decides_and_a_winning_deny_decides_alone() -> None:
    pol = policy(DENY_OPS, share("sahel"), share("niger", {"tenants": ["ne-cclt"]}))
    assert _deciding(explain_data(verdict(sdo(), pol, "ne-cclt"))) == ["sahel"]
    denied = explain_data(verdict(sdo(labels=["ongoing-operation"]), pol, "ne-cclt"))
    assert not denied["granted"] and _deciding(denied) == ["ops"]


def test_the_floor_the_publisher_and_a_tlp_cap_decide_when_they_are_the_reason() -> None:
    pol = policy(share("sahel"))
    assert _deciding(explain_data(verdict(sdo(tlp="clear"), pol, "interpol"))) == ["floor"]
    assert _deciding(explain_data(verdict(sdo(), pol, "ml-cnlt"))) == ["publisher"]
    capped = explain_data(verdict(sdo(tlp="amber+strict"), pol, "ne-cclt"))
    assert not capped["granted"] and _deciding(capped) == ["sahel"]
    nothing = explain_data(verdict(sdo(), pol, "interpol"))
    assert not nothing["granted"] and _deciding(nothing) == []


def test_each_property_says_what_the_recipient_gets_of_it() -> None:
    obj = sdo(tlp="green", granular={"red": ["external_references.[0].external_id"]})
    pol = policy(
        share("interpol", {"tenants": ["interpol"]}, fields={"description": "encrypt"}),
        {"name": "no-labels", "effect": "restrict", "recipients": {"tenants": ["interpol"]},
         "fields": {"labels": "redact"}},
    )  # fmt: skip
    d = verdict(obj, pol, "interpol")
    outcomes = {p["property"]: p for p in property_outcomes(d, obj)}
    assert list(outcomes) == list(obj)  # every property, in the object's order
    assert outcomes["description"]["outcome"] == "encrypt"
    assert outcomes["labels"]["outcome"] == "redact"
    assert "interpol" in outcomes["labels"]["reason"]
    assert outcomes["external_references"]["outcome"] == "partly"
    assert outcomes["external_references"]["parts"] == {
        "external_references.[0].external_id": "redact"
    }
    assert outcomes["pattern"]["outcome"] == outcomes["confidence"]["outcome"] == "kept"
    assert explain_data(d, obj)["properties"] == list(outcomes.values())
    assert "properties" not in explain_data(d)
    denied = sdo(tlp="amber")
    assert property_outcomes(verdict(denied, policy(), "cted"), denied) == []


def test_references_it_may_not_see_are_listed_as_pruned() -> None:
    seen, unseen = (sdo("malware", name=n)["id"] for n in ("seen", "unseen"))
    report = sdo(
        "report",
        name="Quarterly",
        report_types=["threat-report"],
        published="2026-11-01T10:00:00.000Z",
        object_refs=[seen, unseen],
        object_marking_refs=[TLP["green"]],
    )
    d = verdict(report, policy(share("sahel")), "ne-cclt")
    d = resolve_references(d, lambda ref: ref == seen)
    (refs,) = [p for p in property_outcomes(d, report) if p["property"] == "object_refs"]
    assert refs["outcome"] == "pruned" and refs["removed"] == [unseen]
