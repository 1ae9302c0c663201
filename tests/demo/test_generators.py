"""The demo sample and the indicator generator: valid STIX 2.1, deterministic, self-consistent."""

from __future__ import annotations

import ipaddress
import json
import random
import re
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import stix2
from stix2patterns.validator import run_validator
from stix2validator import ValidationOptions, validate_instance, validate_string

from hub.demo import RED_RECIPIENTS_EXTENSION, Publisher, build_sample, envelope
from hub.demo.generate import (
    PATTERN_SHAPES,
    TLP_AMBER,
    TLP_AMBER_STRICT,
    TLP_CLEAR,
    TLP_GREEN,
    TLP_RANK,
    TLP_RED,
    generate_indicators,
    make_pattern,
)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
PUBLISHERS = [
    Publisher(slug, f"identity--{uuid.UUID(int=n, version=4)}", name, country)
    for n, (slug, name, country) in enumerate(
        [
            ("ng-nctc", "Nigeria National Counter-Terrorism Centre", "NG"),
            ("ke-nctc", "Kenya National Counter Terrorism Centre", "KE"),
            ("ml-cnlt", "Mali Counter-Terrorism Cell", "ML"),
            ("ne-cclt", "Niger Counter-Terrorism Cell", "NE"),
            ("so-ctfc", "Somalia Counter-Terrorism Fusion Cell", "SO"),
        ],
        start=1,
    )
]
PARTNER = f"identity--{uuid.UUID(int=99, version=4)}"
RECIPIENTS = {"ng-nctc": [PUBLISHERS[1].identity_id, PARTNER]}
OPTIONS = ValidationOptions(version="2.1")
TYPES = ("indicator", "malware", "threat-actor", "intrusion-set", "campaign", "attack-pattern",
         "infrastructure", "location", "sighting", "relationship", "note", "report")  # fmt: skip
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _ms(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


@pytest.fixture(scope="module")
def sample() -> dict[str, list[dict[str, Any]]]:
    return build_sample(PUBLISHERS, now=NOW, recipients_for_red=RECIPIENTS)


@pytest.fixture(scope="module")
def objects(sample: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [obj for objs in sample.values() for obj in objs]


@pytest.fixture(scope="module")
def generated() -> list[dict[str, Any]]:
    return list(generate_indicators(500, publisher_identity=PUBLISHERS[0].identity_id, now=NOW))


def test_tlp_constants_are_the_oasis_tlp2_marking_definitions() -> None:
    # cti-stix-common-objects, extension-definition-specifications/tlp-2.0
    assert TLP_CLEAR == "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
    assert TLP_GREEN == "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
    assert TLP_AMBER == "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
    assert TLP_AMBER_STRICT == "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
    assert TLP_RED == "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"


def test_every_object_parses_with_stix2(
    objects: list[dict[str, Any]], generated: list[dict[str, Any]]
) -> None:
    for obj in [*objects, *generated]:
        stix2.parse(obj, allow_custom=False)


def test_sample_passes_the_oasis_validator(sample: dict[str, list[dict[str, Any]]]) -> None:
    for slug, objs in sample.items():
        bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objs}
        result = validate_string(json.dumps(bundle), OPTIONS)
        assert result.is_valid, (slug, [str(e) for e in result.errors])


def test_generated_indicators_pass_the_oasis_validator(generated: list[dict[str, Any]]) -> None:
    for obj in generated:
        result = validate_instance(obj, OPTIONS)
        assert result.is_valid, [str(e) for e in result.errors]


def test_every_pattern_validates(
    objects: list[dict[str, Any]], generated: list[dict[str, Any]]
) -> None:
    patterns = {o["pattern"] for o in [*objects, *generated] if o["type"] == "indicator"}
    rng = random.Random(7)
    patterns |= {make_pattern(rng, 2**47 + n, shape)[0] for n, shape in enumerate(PATTERN_SHAPES)}
    for pattern in patterns:
        assert run_validator(pattern, stix_version="2.1") == [], pattern


def test_same_seed_same_bytes_other_seed_other_content() -> None:
    def dump(seed: int) -> str:
        return json.dumps(build_sample(PUBLISHERS, now=NOW, seed=seed))

    def gen(seed: int) -> str:
        return json.dumps(list(generate_indicators(200, publisher_identity=PARTNER, seed=seed)))

    assert dump(2026) == dump(2026)
    assert dump(2026) != dump(2027)
    assert gen(1) == gen(1)
    assert gen(1) != gen(2)


def test_a_publishers_content_does_not_depend_on_later_publishers() -> None:
    three = build_sample(PUBLISHERS[:3], now=NOW)
    five = build_sample(PUBLISHERS, now=NOW)
    assert three["ng-nctc"] == five["ng-nctc"]
    assert three["ke-nctc"] == five["ke-nctc"]


def test_sample_composition(objects: list[dict[str, Any]]) -> None:
    assert 200 <= len(objects) <= 600
    counts = Counter(o["type"] for o in objects)
    for type_ in TYPES:
        assert counts[type_] >= 5, type_
    tlps = Counter(o.get("object_marking_refs", ["none"])[0] for o in objects)
    assert set(tlps) == {*TLP_RANK, "none"}
    assert tlps[TLP_RED] < min(tlps[TLP_AMBER], tlps[TLP_GREEN])
    assert 0 < tlps["none"] < len(objects) // 10
    assert sum("granular_markings" in o for o in objects) >= len(PUBLISHERS)
    assert sum(o.get("revoked", False) for o in objects) >= len(PUBLISHERS)
    patterns = " ".join(o["pattern"] for o in objects if o["type"] == "indicator")
    for fragment in ("[ipv4-addr:value", "[ipv6-addr:value", "[domain-name:value", "[url:value",
                     "file:hashes.'SHA-256'", "file:hashes.MD5", "[email-addr:value", " AND ",
                     " OR ", " FOLLOWEDBY ", " WITHIN "):  # fmt: skip
        assert fragment in patterns, fragment
    kinds = {o["relationship_type"] for o in objects if o["type"] == "relationship"}
    assert {"indicates", "uses", "attributed-to", "targets", "located-at"} <= kinds
    attack = [o for o in objects if o["type"] == "attack-pattern"]
    assert all(re.fullmatch(r"T\d{4}(\.\d{3})?", o["external_references"][0]["external_id"])
               for o in attack)  # fmt: skip
    assert {o["country"] for o in objects if o["type"] == "location"} == {
        p.country for p in PUBLISHERS
    }


def test_references_stay_within_the_publisher(sample: dict[str, list[dict[str, Any]]]) -> None:
    for pub in PUBLISHERS:
        objs = sample[pub.slug]
        types = {o["id"]: o["type"] for o in objs}
        allowed = {*types, *TLP_RANK, pub.identity_id}
        for obj in objs:
            assert obj["created_by_ref"] == pub.identity_id
            for key, value in obj.items():
                refs = value if key.endswith("_refs") else [value] if key.endswith("_ref") else []
                assert set(refs) <= allowed, (pub.slug, obj["id"], key)
            for marking in obj.get("granular_markings", []):
                assert marking["marking_ref"] in TLP_RANK
            if obj["type"] == "sighting":
                assert types[obj["sighting_of_ref"]] == "indicator"
                assert obj["where_sighted_refs"] == [pub.identity_id]
                assert obj["first_seen"] <= obj["last_seen"] <= obj["created"]
            if obj["type"] == "report":
                assert obj["object_refs"]


def test_references_never_reveal_a_more_restricted_object(
    sample: dict[str, list[dict[str, Any]]],
) -> None:
    def level(obj: dict[str, Any]) -> int:
        marks = [*obj.get("object_marking_refs", [])]
        marks += [m["marking_ref"] for m in obj.get("granular_markings", [])]
        return max((TLP_RANK[m] for m in marks), default=TLP_RANK[TLP_AMBER])  # hub default

    for objs in sample.values():
        by_id = {o["id"]: o for o in objs}
        for obj in objs:
            refs = [obj.get("source_ref"), obj.get("target_ref"), obj.get("sighting_of_ref")]
            for ref in [*refs, *obj.get("object_refs", [])]:
                if ref is not None:
                    assert level(by_id[ref]) <= level(obj), (obj["id"], ref)


def test_red_content_names_its_recipients(sample: dict[str, list[dict[str, Any]]]) -> None:
    for slug, objs in sample.items():
        for obj in objs:
            marks = [*obj.get("object_marking_refs", [])]
            marks += [m["marking_ref"] for m in obj.get("granular_markings", [])]
            ext = obj.get("extensions", {}).get(RED_RECIPIENTS_EXTENSION)
            if slug in RECIPIENTS and TLP_RED in marks:
                assert ext == {"extension_type": "property-extension",
                               "recipient_refs": RECIPIENTS[slug]}  # fmt: skip
            else:
                assert ext is None


def test_versions_and_timestamps(sample: dict[str, list[dict[str, Any]]]) -> None:
    oldest = NOW - timedelta(days=181)
    revoked: set[str] = set()
    for objs in sample.values():
        latest: dict[str, dict[str, Any]] = {}
        first_positions, later_positions = [], []
        for position, obj in enumerate(objs):
            assert STAMP.match(obj["created"])
            assert STAMP.match(obj["modified"])
            assert oldest < _ms(obj["created"]) <= _ms(obj["modified"]) < NOW
            assert obj["id"] not in revoked  # nothing follows a revocation
            previous = latest.get(obj["id"])
            if previous is None:
                assert obj["created"] == obj["modified"]
                first_positions.append(position)
            else:
                later_positions.append(position)
                assert (obj["created"], obj["type"]) == (previous["created"], previous["type"])
                assert obj["modified"] > previous["modified"]
            if obj.get("revoked"):
                revoked.add(obj["id"])
            latest[obj["id"]] = obj
        assert len(later_positions) >= 5
        assert min(later_positions) > max(first_positions)


NETS = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
                                          "2001:db8::/32")]  # fmt: skip
RESERVED = (".example", ".example.net", ".test")


def _check_value(literal: str) -> None:
    """An address or name in a pattern is documentation space or a reserved name."""
    if "@" in literal:
        host = literal.split("@")[1]
    elif "://" in literal:
        host = literal.split("/")[2].replace("[.]", ".")
    else:
        try:
            address = ipaddress.ip_address(literal)
        except ValueError:
            host = literal
        else:
            assert any(address in net for net in NETS), literal
            return
    assert host.endswith(RESERVED), literal


def test_only_documentation_addresses_and_reserved_names(
    objects: list[dict[str, Any]], generated: list[dict[str, Any]]
) -> None:
    comparison = re.compile(r"([\w:.\-\[\]*']+) (?:=|LIKE|MATCHES) '([^']*)'")
    for obj in [*objects, *generated]:
        if obj["type"] == "indicator":
            for path, literal in comparison.findall(obj["pattern"]):
                if path.endswith("value"):
                    _check_value(literal)
        text = json.dumps({k: v for k, v in obj.items() if k != "pattern"})
        for host in re.findall(r"(?:https?://|@)([a-z0-9-]+(?:\.[a-z0-9-]+)+)", text):
            assert host == "attack.mitre.org" or host.endswith(RESERVED), host
        for literal in re.findall(r"\b(?:\d{1,3}\.){3}\d{1,3}\b|2001:db8:[0-9a-f:]+", text):
            _check_value(literal)


def test_generator_realism(generated: list[dict[str, Any]]) -> None:
    assert len({o["pattern"] for o in generated}) == len(generated)
    assert len({o["id"] for o in generated}) == len(generated)
    assert all(uuid.UUID(o["id"].split("--")[1]).version == 4 for o in generated)
    assert all(STAMP.match(o["created"]) and _ms(o["created"]) < NOW for o in generated)
    tlps = Counter(o["object_marking_refs"][0] for o in generated)
    assert tlps[TLP_GREEN] + tlps[TLP_AMBER] > len(generated) // 2
    assert 0 < tlps[TLP_RED] < tlps[TLP_CLEAR] < tlps[TLP_AMBER]
    shapes = Counter(re.sub(r"'[^']*'|\d+", "_", o["pattern"]) for o in generated)
    assert len(shapes) >= 20


def test_generated_patterns_are_distinct_at_scale() -> None:
    patterns = [o["pattern"] for o in generate_indicators(20_000, publisher_identity=PARTNER)]
    assert len(set(patterns)) == len(patterns)


def test_envelope_wraps_objects(generated: list[dict[str, Any]]) -> None:
    assert envelope(generated[:3]) == {"objects": generated[:3]}


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        build_sample([PUBLISHERS[0], PUBLISHERS[0]], now=NOW)
    with pytest.raises(ValueError, match="identity ids"):
        build_sample(PUBLISHERS, now=NOW, recipients_for_red={"ng-nctc": ["ke-nctc"]})
