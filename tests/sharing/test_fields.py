"""Field actions and granular markings (STIX 2.1 §7.2.3): decided, combined, applied."""

from __future__ import annotations

from typing import Any

import pytest

from hub.sharing.apply import apply_field_actions, apply_profile
from hub.sharing.decision import Action, FieldProfile, SharingError
from hub.sharing.explain import explain
from hub.sharing.extension import RED_RECIPIENTS_EXTENSION_ID
from hub.stix import validate_object
from tests.sharing.helpers import TLP, policy, sdo, share, verdict

RED_EXT = f"extensions.{RED_RECIPIENTS_EXTENSION_ID}"


def _valid(obj: dict[str, Any]) -> dict[str, Any]:
    validate_object(obj)
    return obj


def test_rule_redacts_a_field_for_its_recipients_only() -> None:
    pol = policy(
        share("sahel"),
        share("interpol", {"tenants": ["interpol"]}, fields={"external_references": "redact"}),
    )
    obj = sdo()
    to_interpol = verdict(obj, pol, "interpol")
    assert to_interpol.fields["external_references"].action is Action.REDACT
    assert to_interpol.fields["external_references"].source == "rule #1 'interpol'"
    assert "external_references" not in _valid(apply_field_actions(obj, to_interpol))
    to_niger = verdict(obj, pol, "ne-cclt")
    assert not to_niger.fields
    assert apply_field_actions(obj, to_niger) == obj


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        (["share", "redact"], Action.REDACT),
        (["encrypt", "share"], Action.ENCRYPT),
        (["encrypt", "redact"], Action.REDACT),
        (["share", "share"], Action.SHARE),
    ],
)
def test_most_restrictive_action_wins(actions: list[str], expected: Action) -> None:
    rules = [share(f"r{i}", fields={"description": a}) for i, a in enumerate(actions)]
    assert verdict(sdo(), policy(*rules), "ne-cclt").fields["description"].action is expected


def test_restrict_rule_applies_to_clear_objects_granted_by_the_floor() -> None:
    restrict = {
        "name": "no-case-refs",
        "effect": "restrict",
        "recipients": {"kinds": ["partner"]},
        "fields": {"external_references": "redact", "description": "encrypt"},
    }
    obj = sdo(tlp="clear")
    d = verdict(obj, policy(restrict), "cted")
    assert d.granted
    out = _valid(apply_field_actions(obj, d))
    assert "external_references" not in out and "description" not in out  # encrypt: removed
    assert any("removed until field encryption" in line for line in explain(d))
    assert verdict(obj, policy(restrict), "ne-cclt").fields == {}


def test_red_field_in_amber_object_reaches_named_recipients_only() -> None:
    obj = sdo(granular={"red": ["description"]}, red_for=("ne-cclt",))
    pol = policy(
        share("region", {"communities": ["sahel", "ecowas"]}),
        share("red", {"named_on_object": True}, match={"tlp": ["red"]}),
    )
    named = verdict(obj, pol, "ne-cclt")
    assert named.granted and not named.fields
    assert apply_field_actions(obj, named) == obj
    other = verdict(obj, pol, "gh-ctfc")
    assert other.granted
    assert other.fields["description"].action is Action.REDACT
    assert "TLP:RED" in other.fields["description"].reason
    assert other.fields[RED_EXT].action is Action.REDACT  # who else got RED is not shown
    out = _valid(apply_field_actions(obj, other))
    assert "description" not in out and "extensions" not in out
    assert "granular_markings" not in out  # its only selector went with the field


def test_red_field_needs_a_rule_that_shares_red() -> None:
    obj = sdo(granular={"red": ["description"]}, red_for=("ne-cclt",))
    d = verdict(obj, policy(share("amber-only", match={"tlp": ["amber"]})), "ne-cclt")
    assert d.fields["description"].action is Action.REDACT
    assert "no rule shares TLP:RED content" in d.fields["description"].reason


def test_deny_rule_with_tlp_levels_denies_fields_of_that_level() -> None:
    obj = sdo(granular={"red": ["description"]}, red_for=("interpol",))
    pol = policy(
        share("partners", {"kinds": ["partner"]}),
        {"name": "no-red-to-partners", "effect": "deny", "match": {"tlp": ["red"]},
         "recipients": {"kinds": ["partner"]}},
    )  # fmt: skip
    d = verdict(obj, pol, "interpol")
    assert d.granted
    assert "denied by rule #1" in d.fields["description"].reason


def test_amber_strict_field_in_green_object() -> None:
    obj = sdo(tlp="green", granular={"amber+strict": ["external_references"]})
    pol = policy(share("sahel"), share("niger", {"tenants": ["ne-cclt"]}))
    assert not verdict(obj, pol, "ne-cclt").fields  # named individually by a rule
    pol = policy(share("sahel"))
    d = verdict(obj, pol, "ne-cclt")
    assert d.fields["external_references"].action is Action.REDACT
    assert "named individually" in d.fields["external_references"].reason


def test_required_property_marked_red_withholds_the_object() -> None:
    obj = sdo(granular={"red": ["pattern"]})
    d = verdict(obj, policy(share("sahel")), "ne-cclt")
    assert not d.granted
    assert "pattern is required by STIX 2.1 for indicator" in d.reason
    assert d.trail[-1].effect == "withhold"
    assert verdict(obj, policy(), "ml-cnlt").granted  # the publisher


def test_list_element_selectors_and_marking_rewrite() -> None:
    refs = [
        {"source_name": "case", "url": "https://example.org/case/1"},
        {"source_name": "vendor", "url": "https://example.org/r/1", "description": "r"},
    ]
    obj = sdo(
        tlp="green",
        external_references=refs,
        granular={"amber": ["external_references.[0].url"], "green": ["external_references.[1]"]},
    )
    d = verdict(obj, policy(share("all", {"everyone": True})), "ne-cclt")
    assert d.fields["external_references.[0].url"].action is Action.REDACT
    out = _valid(apply_field_actions(obj, d))
    # [0] lost its url and with it its last descriptive property: it goes; [1] becomes [0].
    assert out["external_references"] == [refs[1]]
    assert out["granular_markings"] == [
        {"marking_ref": TLP["green"], "selectors": ["external_references.[0]"]}
    ]
    assert obj["external_references"] == refs  # the input is not changed


def test_coordinates_go_together_and_a_location_keeps_one_anchor() -> None:
    rule = share("unpol", {"tenants": ["unpol"]}, fields={"latitude": "redact"})
    located = sdo("location", country="ML", latitude=14.5, longitude=-4.2, precision=500.0)
    d = verdict(located, policy(rule), "unpol")
    assert {s for s, a in d.fields.items() if a.action is Action.REDACT} == {
        "latitude",
        "longitude",
        "precision",
    }
    out = _valid(apply_field_actions(located, d))
    assert out["country"] == "ML" and "longitude" not in out
    bare = sdo("location", latitude=14.5, longitude=-4.2)
    d = verdict(bare, policy(rule), "unpol")
    assert not d.granted and "location needs one of" in d.reason


def test_apply_refuses_what_it_must_not_do() -> None:
    obj = sdo()
    denied = verdict(obj, policy(), "ne-cclt")
    with pytest.raises(SharingError, match="not granted"):
        apply_field_actions(obj, denied)
    with pytest.raises(SharingError, match="required pattern"):
        apply_profile(obj, FieldProfile(redact=("pattern",)))
    granted = verdict(obj, policy(share("s")), "ne-cclt")
    with pytest.raises(SharingError, match="applied to"):
        apply_field_actions(sdo(), granted)


def test_field_profile_round_trip() -> None:
    obj = sdo()
    rule = share("s", fields={"external_references": "redact", "description": "encrypt"})
    profile = verdict(obj, policy(rule), "ne-cclt").profile()
    assert profile == FieldProfile(("external_references",), ("description",))
    assert FieldProfile.from_json(profile.to_json()) == profile
    assert FieldProfile.from_json(profile.to_json()).digest == profile.digest
    assert FieldProfile().is_full and not profile.is_full
    assert apply_profile(obj, profile) == apply_field_actions(
        obj, verdict(obj, policy(rule), "ne-cclt")
    )
