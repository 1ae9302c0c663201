"""The decision engine, table by table: TLP floor, rule effects, every match condition."""

from __future__ import annotations

from typing import Any

import pytest

from hub.sharing.decision import SharingError
from hub.sharing.engine import decide, decide_all
from tests.sharing.helpers import (
    ctx,
    new_id,
    parties,
    party,
    policy,
    relationship,
    sdo,
    share,
    sighting,
    verdict,
)

# (object TLP, rule recipients, recipient, RED recipients named on the object, granted?)
# The publisher is ml-cnlt (communities: sahel, african-union).
TLP_CASES: list[tuple[str | None, dict[str, Any] | None, str, tuple[str, ...], bool]] = [
    ("clear", None, "interpol", (), True),  # CLEAR: every tenant, no rule needed
    ("white", None, "cted", (), True),  # TLP 1.0 WHITE is CLEAR
    ("green", None, "ne-cclt", (), False),  # default deny
    ("green", {"everyone": True}, "ne-cclt", (), True),  # shares a community
    ("green", {"everyone": True}, "interpol", (), False),  # everyone: only communities
    ("green", {"kinds": ["partner"]}, "interpol", (), True),  # named as a kind
    ("green", {"tenants": ["gh-ctfc"]}, "gh-ctfc", (), True),
    ("amber", None, "ne-cclt", (), False),
    ("amber", {"communities": ["sahel"]}, "ne-cclt", (), True),
    ("amber", {"communities": ["sahel"]}, "gh-ctfc", (), False),  # not a recipient
    ("amber", {"everyone": True}, "ne-cclt", (), False),  # AMBER needs a named recipient
    ("amber", {"kinds": ["partner"]}, "cted", (), True),
    ("amber+strict", {"communities": ["sahel"]}, "ne-cclt", (), False),  # not individual
    ("amber+strict", {"kinds": ["national-cell"]}, "ne-cclt", (), False),
    ("amber+strict", {"tenants": ["ne-cclt"]}, "ne-cclt", (), True),
    ("amber+strict", {"named_on_object": True}, "ne-cclt", ("ne-cclt",), True),
    ("red", {"tenants": ["ne-cclt"]}, "ne-cclt", (), False),  # not named on the object
    ("red", {"tenants": ["ne-cclt"]}, "ne-cclt", ("ne-cclt",), True),
    ("red", {"named_on_object": True}, "ne-cclt", ("ne-cclt",), True),
    ("red", {"named_on_object": True}, "gh-ctfc", ("ne-cclt",), False),
    ("red", {"tenants": ["gh-ctfc"]}, "gh-ctfc", ("ne-cclt",), False),  # no rule widens RED
    ("red", {"everyone": True}, "interpol", ("ne-cclt",), False),
    ("red", None, "ne-cclt", ("ne-cclt",), False),  # named, but no rule shares it
    (None, {"communities": ["sahel"]}, "ne-cclt", (), True),  # unmarked: AMBER
    (None, {"everyone": True}, "ne-cclt", (), False),  # unmarked is AMBER, not CLEAR
    (None, None, "interpol", (), False),  # never silently CLEAR
]


@pytest.mark.parametrize(("tlp", "recipients", "to", "red_for", "granted"), TLP_CASES)
def test_tlp_floor(
    tlp: str | None,
    recipients: dict[str, Any] | None,
    to: str,
    red_for: tuple[str, ...],
    granted: bool,
) -> None:
    rules = [share("r", recipients)] if recipients else []
    d = verdict(sdo(tlp=tlp, red_for=red_for), policy(*rules), to)
    assert d.granted is granted, d.reason
    assert d.tlp == ("clear" if tlp == "white" else tlp or "amber")
    assert d.tlp_source == ("marking" if tlp else "policy default")


def test_capped_rule_says_why() -> None:
    d = verdict(sdo(tlp="amber+strict"), policy(share("sahel")), "ne-cclt")
    assert not d.granted
    assert "AMBER+STRICT goes only to organisations named individually" in d.reason
    assert [s.effect for s in d.trail] == ["capped"]


def test_default_tlp_from_policy() -> None:
    pol = policy(share("all", {"everyone": True}), default_tlp="green")
    d = verdict(sdo(tlp=None), pol, "ne-cclt")
    assert (d.granted, d.tlp, d.tlp_source) == (True, "green", "policy default")
    with pytest.raises(ValueError, match="default_tlp"):
        policy(default_tlp="clear")


def test_deny_wins_over_share_and_clear() -> None:
    deny = {"name": "no", "effect": "deny", "recipients": {"tenants": ["ne-cclt"]}}
    pol = policy(share("yes", {"tenants": ["ne-cclt"]}), deny)
    for tlp in ("clear", "green", "amber"):
        d = verdict(sdo(tlp=tlp), pol, "ne-cclt")
        assert not d.granted and "denied by rule #1 'no'" in d.reason
    assert verdict(sdo(tlp="clear"), pol, "gh-ctfc").granted  # the deny names ne-cclt only


def test_publisher_always_gets_everything() -> None:
    deny = {"name": "none", "effect": "deny", "recipients": {"everyone": True}}
    obj = sdo(tlp="red", granular={"red": ["description"]})
    d = verdict(obj, policy(deny), "ml-cnlt")
    assert d.granted and d.full and not d.fields and d.refs_resolved
    assert d.trail[0].rule == "publisher"


def test_trail_names_every_rule() -> None:
    pol = policy(
        share("indicators-only", match={"types": ["report"]}),
        {"name": "partners", "effect": "deny", "recipients": {"kinds": ["partner"]}},
        share("sahel"),
    )
    d = verdict(sdo(), pol, "ne-cclt")
    assert [(s.rule_index, s.rule, s.matched, s.effect) for s in d.trail] == [
        (0, "indicators-only", False, "none"),
        (1, "partners", False, "none"),
        (2, "sahel", True, "share"),
    ]
    assert "type indicator is not one of report" in d.trail[0].reason
    assert "not among its recipients" in d.trail[1].reason
    assert d.reason == "shared by rule #2 'sahel'"


# (match, object properties, granted?) for a share rule to the sahel cells.
MATCH_CASES: list[tuple[dict[str, Any], dict[str, Any], bool]] = [
    ({"types": ["indicator"]}, {}, True),
    ({"types": ["report"]}, {}, False),
    ({"tlp": ["amber"]}, {}, True),
    ({"tlp": ["green"]}, {}, False),
    ({"labels": {"any_of": ["terrorism", "x"]}}, {}, True),
    ({"labels": {"any_of": ["x"]}}, {}, False),
    ({"labels": {"all_of": ["terrorism", "financing"]}}, {"labels": ["terrorism"]}, False),
    (
        {"labels": {"all_of": ["terrorism", "financing"]}},
        {"labels": ["financing", "terrorism"]},
        True,
    ),
    ({"labels": {"none_of": ["ongoing-operation"]}}, {}, True),
    ({"labels": {"none_of": ["terrorism"]}}, {}, False),
    ({"labels": {"none_of": ["terrorism"]}}, {"labels": None}, True),
    ({"confidence": {"min": 50}}, {"confidence": 50}, True),
    ({"confidence": {"min": 50, "max": 80}}, {"confidence": 90}, False),
    ({"confidence": {"min": 50}}, {"confidence": None}, False),  # unknown fails closed
    ({"collections": ["sahel-exchange"]}, {}, False),  # published to shared-exchange
    ({"collections": ["shared-exchange"]}, {}, True),
    ({"max_age_days": 30}, {}, True),  # modified 27 days before NOW
    ({"max_age_days": 10}, {}, False),
    ({"min_age_days": 10}, {}, True),
    ({"min_age_days": 60}, {}, False),
    ({"max_age_days": 30, "age_of": "created"}, {"created": "2026-09-01T00:00:00Z"}, False),
]


def _without_none(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v is not None}


@pytest.mark.parametrize(("match", "props", "granted"), MATCH_CASES)
def test_match_conditions(match: dict[str, Any], props: dict[str, Any], granted: bool) -> None:
    obj = _without_none(sdo(**props))
    d = verdict(obj, policy(share("r", match=match)), "ne-cclt")
    assert d.granted is granted, d.trail


def test_unknown_condition_fails_closed_for_deny_too() -> None:
    deny = {
        "name": "unconfirmed",
        "effect": "deny",
        "match": {"confidence": {"max": 29}},
        "recipients": {"everyone": True},
    }
    obj = _without_none(sdo(confidence=None))
    d = verdict(obj, policy(share("s"), deny), "ne-cclt")
    assert not d.granted
    assert "confidence is unknown, assumed to match" in d.trail[1].reason
    assert verdict(sdo(confidence=80), policy(share("s"), deny), "ne-cclt").granted


def _rel_rule(**match: Any) -> dict[str, Any]:
    return share("r", match={"types": ["relationship"], **match}, require_refs=False)


def _sight_rule(**match: Any) -> dict[str, Any]:
    return share("r", match={"types": ["sighting"], **match}, require_refs=False)


END_CASES: list[tuple[dict[str, Any], dict[str, Any], bool]] = [
    (
        _rel_rule(source_types=["indicator"]),
        relationship(new_id("indicator"), new_id("malware")),
        True,
    ),
    (
        _rel_rule(source_types=["malware"]),
        relationship(new_id("indicator"), new_id("malware")),
        False,
    ),
    (
        _rel_rule(target_types=["malware", "threat-actor"]),
        relationship(new_id("indicator"), new_id("threat-actor")),
        True,
    ),
    (
        _rel_rule(relationship_types=["uses"]),
        relationship(new_id("indicator"), new_id("malware")),
        False,
    ),
    (_sight_rule(sighting_of_types=["indicator"]), sighting(new_id("indicator")), True),
    (_sight_rule(sighting_of_types=["malware"]), sighting(new_id("indicator")), False),
    (
        _sight_rule(where_sighted_types=["location"]),
        sighting(new_id("indicator"), [new_id("identity"), new_id("location")]),
        True,
    ),
    (_sight_rule(where_sighted_types=["location"]), sighting(new_id("indicator")), False),
]


@pytest.mark.parametrize(("rule", "obj", "granted"), END_CASES)
def test_end_types(rule: dict[str, Any], obj: dict[str, Any], granted: bool) -> None:
    assert verdict(obj, policy(rule), "ne-cclt").granted is granted


RECIPIENT_CASES = [
    ({"tenants": ["cted"]}, {"cted"}),
    ({"communities": ["sahel"]}, {"ne-cclt"}),
    ({"communities": ["eac", "sahel"]}, {"ne-cclt", "ke-nctc", "so-ctfc"}),
    ({"kinds": ["partner"]}, {"interpol", "unpol", "cted", "acsrt"}),
    (
        {"tenants": ["gh-ctfc"], "kinds": ["partner"]},
        {"gh-ctfc", "interpol", "unpol", "cted", "acsrt"},
    ),
]


@pytest.mark.parametrize(("recipients", "expected"), RECIPIENT_CASES)
def test_recipient_selectors(recipients: dict[str, Any], expected: set[str]) -> None:
    obj = sdo()
    pol = policy(share("r", recipients))
    everyone = [p for p in parties().values() if p.slug != "ml-cnlt"]
    decisions = decide_all(obj, ctx(obj), pol, party("ml-cnlt"), everyone)
    assert {d.recipient for d in decisions.values() if d.granted} == expected


def test_decide_all_agrees_with_decide() -> None:
    obj = sdo(tlp="amber", granular={"red": ["description"]}, red_for=("ne-cclt",))
    pol = policy(
        share("sahel"),
        share("red", {"named_on_object": True}, match={"tlp": ["red"]}),
        share("interpol", {"tenants": ["interpol"]}, fields={"external_references": "redact"}),
    )
    everyone = list(parties().values())
    c = ctx(obj)
    together = decide_all(obj, c, pol, party("ml-cnlt"), everyone)
    for p in everyone:
        assert together[p.tenant_id] == decide(obj, c, pol, party("ml-cnlt"), p)


def test_misuse_is_refused() -> None:
    obj = sdo()
    with pytest.raises(SharingError, match="policy of ml-cnlt"):
        decide(obj, ctx(obj), policy(), party("ne-cclt"), party("ml-cnlt"))
    with pytest.raises(SharingError, match="context of"):
        decide(sdo(), ctx(obj), policy(), party("ml-cnlt"), party("ne-cclt"))


def test_changed_copy_of_policy_is_recompiled() -> None:
    pol = policy(share("sahel"))
    obj = sdo()
    assert verdict(obj, pol, "ne-cclt").granted
    narrowed = pol.model_copy(update={"rules": []})
    assert not verdict(obj, narrowed, "ne-cclt").granted
    assert verdict(obj, pol, "ne-cclt").granted
    assert pol == policy(share("sahel"))  # compiling leaves no trace on the model


def test_without_trail_the_decision_is_the_same() -> None:
    obj = sdo(tlp="amber", granular={"red": ["description"]}, red_for=("ne-cclt",))
    pol = policy(
        share("sahel"),
        share("red", {"named_on_object": True}, match={"tlp": ["red"]}),
        share("interpol", {"tenants": ["interpol"]}, fields={"external_references": "redact"}),
        {"name": "no-cted", "effect": "deny", "recipients": {"tenants": ["cted"]}},
    )
    c = ctx(obj)
    for p in parties().values():
        full = decide(obj, c, pol, party("ml-cnlt"), p)
        assert full.trail
        assert decide(obj, c, pol, party("ml-cnlt"), p, trail=False) == full._replace(trail=())


def test_decide_all_follows_a_change_of_recipients_or_policy() -> None:
    obj = sdo(tlp="green")
    c = ctx(obj)
    some = [party("ne-cclt"), party("interpol")]
    others = [party("gh-ctfc"), party("ne-cclt")]
    sahel = policy(share("sahel"))
    everyone = policy(share("all", {"everyone": True}))
    for pol, readers in ((sahel, some), (sahel, others), (everyone, others), (sahel, others)):
        together = decide_all(obj, c, pol, party("ml-cnlt"), readers)
        assert list(together) == [p.tenant_id for p in readers]
        for p in readers:
            assert together[p.tenant_id] == decide(obj, c, pol, party("ml-cnlt"), p)
