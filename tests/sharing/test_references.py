"""References do not leak: ends of relationships and sightings, reports' object_refs (§3.3)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hub.sharing.apply import apply_field_actions
from hub.sharing.decision import SharingError, resolve_references
from hub.sharing.explain import explain, explain_data
from hub.stix import validate_object
from tests.sharing.helpers import new_id, policy, relationship, sdo, share, sighting, verdict

INDICATOR, MALWARE, SECRET = new_id("indicator"), new_id("malware"), new_id("threat-actor")
PLACE, HIDDEN_ORG = new_id("location"), new_id("identity")


def _sees(*ids: str) -> Callable[[str], bool]:
    return frozenset(ids).__contains__


def test_relationship_needs_both_ends() -> None:
    rel = relationship(INDICATOR, MALWARE)
    d = verdict(rel, policy(share("sahel")), "ne-cclt")
    assert d.granted and d.requires_refs == (INDICATOR, MALWARE) and not d.refs_resolved
    both = resolve_references(d, _sees(INDICATOR, MALWARE))
    assert both.granted and both.refs_resolved and both.removed_refs == {}
    assert apply_field_actions(rel, both) == rel
    one = resolve_references(d, _sees(INDICATOR))
    assert not one.granted and MALWARE in one.reason
    assert one.trail[-1].rule == "references" and one.trail[-1].effect == "withhold"


def test_sighting_prunes_where_sighted_and_needs_what_was_sighted() -> None:
    sight = sighting(INDICATOR, [PLACE, HIDDEN_ORG])
    d = verdict(sight, policy(share("sahel")), "ne-cclt")
    assert d.requires_refs == (INDICATOR,)
    assert set(d.prune_refs) == {"where_sighted_refs"}
    r = resolve_references(d, _sees(INDICATOR, PLACE))
    out = apply_field_actions(sight, r)
    assert out["where_sighted_refs"] == [PLACE]
    validate_object(out)
    none_where = resolve_references(d, _sees(INDICATOR))
    assert not none_where.granted  # a sighting's "where" end it may not see at all
    assert not resolve_references(d, _sees(PLACE, HIDDEN_ORG)).granted


def test_report_object_refs_pruned_and_empty_report_withheld() -> None:
    report = sdo(
        "report",
        name="Weekly",
        published="2026-11-02T00:00:00Z",
        report_types=["threat-report"],
        object_refs=[INDICATOR, SECRET, MALWARE],
        granular={"amber": ["object_refs.[2]"]},
        tlp="green",
    )
    d = verdict(report, policy(share("sahel")), "ne-cclt")
    assert d.requires_refs == () and d.prune_refs["object_refs"].required
    r = resolve_references(d, _sees(INDICATOR, MALWARE))
    out = apply_field_actions(report, r)
    assert out["object_refs"] == [INDICATOR, MALWARE]
    assert out["granular_markings"][0]["selectors"] == ["object_refs.[1]"]  # followed MALWARE
    validate_object(out)
    assert "object_refs: 1 removed" in r.trail[-1].reason
    empty = resolve_references(d, _sees())
    assert not empty.granted and "none of the objects in object_refs" in empty.reason


def test_rule_may_share_references_regardless() -> None:
    rel = relationship(INDICATOR, SECRET)
    d = verdict(rel, policy(share("sahel", require_refs=False)), "ne-cclt")
    assert d.granted and d.refs_resolved and not d.requires_refs
    assert apply_field_actions(rel, d) == rel
    # ...but only if every rule that grants it says so
    strict = policy(share("loose", require_refs=False), share("sahel-too"))
    assert verdict(rel, strict, "ne-cclt").requires_refs == (INDICATOR, SECRET)


def test_unresolved_references_cannot_be_applied() -> None:
    rel = relationship(INDICATOR, MALWARE)
    d = verdict(rel, policy(share("sahel")), "ne-cclt")
    with pytest.raises(SharingError, match="resolve_references"):
        apply_field_actions(rel, d)


def test_explanation_rule_by_rule_and_field_by_field() -> None:
    obj = sdo(granular={"red": ["description"]})
    pol = policy(
        {"name": "ops", "effect": "deny", "match": {"labels": {"any_of": ["ongoing-operation"]}},
         "recipients": {"everyone": True}},
        share("interpol", {"tenants": ["interpol"]}, fields={"external_references": "redact"}),
    )  # fmt: skip
    lines = explain(verdict(obj, pol, "interpol"))
    assert lines[0].startswith(f"interpol GETS {obj['id']}: shared by rule #1 'interpol'")
    assert lines[1] == "TLP:AMBER (the object's marking)"
    assert "rule #0 'ops': no - labels has none of ongoing-operation" in lines[2]
    assert "rule #1 'interpol': shares - shares with tenant interpol" in lines[3]
    assert any(line.startswith("  field description: redact") for line in lines)
    assert any(line.startswith("  field external_references: redact") for line in lines)
    data = explain_data(verdict(obj, pol, "ne-cclt"))
    assert data["granted"] is False and data["reason"].endswith("(default deny)")
    assert [s["rule"] for s in data["trail"]] == ["ops", "interpol"]
    unmarked = explain(verdict(sdo(tlp=None), pol, "interpol"))
    assert unmarked[1] == "TLP:AMBER (policy default: the object carries no TLP marking)"
