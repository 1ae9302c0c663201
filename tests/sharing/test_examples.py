"""The example policies at work, and TLP invariants over the whole demo sample."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from hub.demo import Publisher, build_sample
from hub.sharing.apply import apply_field_actions
from hub.sharing.context import object_context
from hub.sharing.decision import Action, Decision, resolve_references
from hub.sharing.engine import Decider, decide_all
from hub.sharing.floor import TLP_RANK
from hub.stix import validate_object
from tests.sharing.helpers import (
    NOW,
    directory,
    example_policies,
    new_id,
    parties,
    party,
    sdo,
    sighting,
    verdict,
)


def _who_gets(obj: dict[str, Any], publisher: str, collection: str = "shared-exchange") -> set[str]:
    c = object_context(obj, collection=collection, now=NOW)
    pol = example_policies()[publisher]
    decisions = decide_all(obj, c, pol, party(publisher), parties().values())
    return {d.recipient for d in decisions.values() if d.granted} - {publisher}


def test_sahel_cells_share_amber_indicators_within_sahel() -> None:
    obj = sdo(publisher="ml-cnlt", tlp="amber", confidence=80)
    assert _who_gets(obj, "ml-cnlt") == {"ne-cclt", "interpol"}
    d = verdict(obj, example_policies()["ml-cnlt"], "ne-cclt")
    assert not d.fields and "sahel-indicators" in d.reason


def test_interpol_gets_indicators_without_sources() -> None:
    obj = sdo(publisher="ml-cnlt", tlp="green")
    d = verdict(obj, example_policies()["ml-cnlt"], "interpol")
    assert d.granted and d.fields["external_references"].action is Action.REDACT
    out = apply_field_actions(obj, d)
    assert "external_references" not in out and out["pattern"] == obj["pattern"]


def test_red_goes_to_the_one_neighbour_the_object_names() -> None:
    named = sdo(publisher="ml-cnlt", tlp="red", red_for=("ne-cclt",))
    assert _who_gets(named, "ml-cnlt") == {"ne-cclt"}
    elsewhere = sdo(publisher="ml-cnlt", tlp="red", red_for=("gh-ctfc",))
    assert _who_gets(elsewhere, "ml-cnlt") == set()  # Mali's policy narrows RED to Niger
    nobody = sdo(publisher="ml-cnlt", tlp="red")
    assert _who_gets(nobody, "ml-cnlt") == set()


def test_cted_gets_reports_but_not_sightings() -> None:
    report = sdo(
        "report", publisher="ng-nctc", tlp="green", name="Lake Chad weekly",
        published="2026-11-02T00:00:00Z", object_refs=[new_id("threat-actor")],
    )  # fmt: skip
    assert "cted" in _who_gets(report, "ng-nctc")
    seen = sighting(new_id("indicator"), publisher="ng-nctc", tlp="green", confidence=90)
    assert "cted" not in _who_gets(seen, "ng-nctc")
    assert "gh-ctfc" in _who_gets(seen, "ng-nctc")
    d = verdict(seen, example_policies()["ng-nctc"], "cted")
    assert "denied by rule #" in d.reason and "no-sightings-to-cted" in d.reason


def test_ongoing_operations_reach_no_one() -> None:
    for publisher in ("ml-cnlt", "ng-nctc", "ke-nctc"):
        obj = sdo(publisher=publisher, tlp="clear", labels=["ongoing-operation"])
        assert _who_gets(obj, publisher) == set()


def test_unconfirmed_reporting_stays_home() -> None:
    obj = sdo(publisher="ng-nctc", tlp="green")
    del obj["confidence"]  # unknown: the deny rule fails closed
    assert _who_gets(obj, "ng-nctc") == set()


# --- Invariants over the demo sample, decided against every example tenant ------------------

CELLS = [t for t in directory().tenants if t.kind == "national-cell"]
RED_NAMES = {"ml-cnlt": ["ne-cclt"], "ng-nctc": ["gh-ctfc", "interpol"], "ke-nctc": ["so-ctfc"]}


def _sample() -> Iterator[tuple[str, dict[str, Any]]]:
    publishers = [Publisher(t.slug, t.identity_id, t.name, t.country or "") for t in CELLS]
    red = {p: [party(s).identity_id or "" for s in names] for p, names in RED_NAMES.items()}
    sample = build_sample(publishers, now=NOW, recipients_for_red=red)
    for slug, objects in sample.items():
        for obj in objects:
            yield slug, obj


@pytest.fixture(scope="module")
def decided() -> list[tuple[str, dict[str, Any], dict[int, Decision]]]:
    out = []
    everyone = list(parties().values())
    for slug, obj in _sample():
        c = object_context(obj, collection="shared-exchange", now=NOW)
        pol = example_policies()[slug]
        out.append((slug, obj, decide_all(obj, c, pol, party(slug), everyone)))
    return out


def test_sample_invariants(decided: list[tuple[str, dict[str, Any], dict[int, Decision]]]) -> None:
    granted = 0
    ids = {p.identity_id: p.slug for p in parties().values()}
    for slug, obj, decisions in decided:
        named = {ids[i] for i in obj.get("extensions", {}).get(
            "extension-definition--a5302270-d6f9-4551-ac93-4deea2d3079c", {}
        ).get("recipient_refs", ())}  # fmt: skip
        rules = example_policies()[slug].rules
        individually = {t for r in rules for t in r.recipients.tenants} | named
        for d in decisions.values():
            if d.recipient == slug:
                assert d.granted and d.full
                continue
            if not d.granted:
                continue
            granted += 1
            if d.recipient == "hub-operator":  # CLEAR is public; nothing else reaches it
                assert d.tlp == "clear" and all(
                    d.fields[s].action is Action.REDACT for _, sels in _granular(obj) for s in sels
                )
            assert d.tlp == "amber" if d.tlp_source != "marking" else True
            if d.tlp == "red":
                assert d.recipient in named, (obj["id"], d.recipient)
            if d.tlp == "amber+strict":
                assert d.recipient in individually
            for level, selectors in _granular(obj):
                if (
                    TLP_RANK[level] > TLP_RANK[d.tlp]
                    and level == "red"
                    and d.recipient not in named
                ):
                    assert all(d.fields[s].action is Action.REDACT for s in selectors)
            out = apply_field_actions(obj, resolve_references(d, lambda _: True))
            validate_object(out)
    assert granted > 200


def _granular(obj: dict[str, Any]) -> Iterator[tuple[str, list[str]]]:
    from hub.stix.tlp import TLP_MARKING_IDS

    for gm in obj.get("granular_markings", ()):
        level = TLP_MARKING_IDS.get(gm["marking_ref"])
        if level:
            yield level, gm["selectors"]


def test_a_reused_decider_without_trail_decides_alike(
    decided: list[tuple[str, dict[str, Any], dict[int, Decision]]],
) -> None:
    """One Decider per publisher over the whole sample, as the write path uses it: the same
    decisions (references resolved too) as deciding each object afresh, with an empty trail."""
    everyone = list(parties().values())
    deciders = {
        slug: Decider(example_policies()[slug], party(slug), everyone)
        for slug in {s for s, _, _ in decided}
    }
    ids = [o["id"] for _, o, _ in decided]
    for n, (slug, obj, decisions) in enumerate(decided):
        c = object_context(obj, collection="shared-exchange", now=NOW)
        bare = deciders[slug].decide_all(obj, c, trail=False)
        assert bare.keys() == decisions.keys()
        for tenant_id, d in decisions.items():
            assert bare[tenant_id] == d._replace(trail=())
            seen = set(ids[: n + tenant_id % 7])  # an arbitrary, recipient-dependent view
            full = resolve_references(d, seen.__contains__)
            assert resolve_references(bare[tenant_id], seen.__contains__) == full._replace(trail=())
            if full.granted:
                assert bare[tenant_id].granted and (
                    resolve_references(bare[tenant_id], seen.__contains__).profile()
                    == full.profile()
                )
