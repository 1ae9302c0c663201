"""Table tests of validate_object, one rule family at a time (common properties, §2-§3)."""

from __future__ import annotations

from typing import Any

import pytest
import stix2
from stix_minimal import (
    DELETE,
    IDENTITY,
    MINIMAL,
    OK,
    SHA256,
    T0,
    TLP_GREEN,
    U,
    check,
    sid,
    variant,
)

from hub.stix import StixValidationError, validate_object


@pytest.mark.parametrize("type_name", sorted(MINIMAL))
def test_minimal_objects_are_valid_for_both(type_name: str) -> None:
    obj = MINIMAL[type_name]
    validate_object(obj)
    stix2.parse(obj, version="2.1")


def test_message_examples() -> None:
    check(
        variant("indicator", pattern=DELETE),
        False,
        ("pattern", "indicator property 'pattern' is required"),
    )
    check(
        variant("indicator", modified="2020-01-01T00:00:00Z"),
        False,
        ("modified", "property 'modified' (2020-01-01T00:00:00Z) is earlier than 'created'"),
    )


ENVELOPE = [
    pytest.param(["not", "a", "dict"], False, (None, "must be a JSON object"), id="not-a-dict"),
    pytest.param({"id": sid("indicator")}, False, ("type", "'type' is required"), id="no-type"),
    pytest.param({"type": 5}, False, (None, "'type' must be a string"), id="type-not-str"),
    pytest.param(variant("indicator", id=DELETE), False, ("id", "is required"), id="no-id"),
    pytest.param(
        variant("indicator", id=sid("malware")),
        False,
        ("id", "indicator--<UUID>"),
        id="id-other-type",
    ),
    pytest.param(
        variant("indicator", id="indicator--1234"), False, ("id", "identifier"), id="id-short"
    ),
    pytest.param(
        variant("indicator", id="indicator--" + U.replace("-", "")),
        False,
        ("id", "identifier"),
        id="id-no-hyphens",
    ),
    pytest.param(variant("indicator", id="indicator--" + U.upper()), False, OK, id="id-upper-hex"),
    pytest.param(
        variant("indicator", id="indicator--8e2e2d2b-17d4-1cbf-938f-98ee46b3cd3f"),
        False,
        OK,
        id="id-uuid-v1",
    ),
    pytest.param(
        variant("indicator", id="indicator--8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f"),
        False,
        ("id", "identifier"),
        id="id-bad-variant",
    ),
    pytest.param(
        variant("indicator", spec_version=DELETE),
        False,
        ("spec_version", "is required"),
        id="no-spec-version",
    ),
    pytest.param(
        variant("indicator", spec_version="2.0"),
        False,
        ("spec_version", '"2.1"'),
        id="spec-version-2.0",
    ),
    pytest.param(
        variant("ipv4-addr", spec_version=DELETE), False, OK, id="sco-spec-version-optional"
    ),
    pytest.param(variant("ipv4-addr", spec_version="2.1"), False, OK, id="sco-spec-version"),
    pytest.param(variant("ipv4-addr", id=DELETE), False, ("id", "is required"), id="sco-no-id"),
    pytest.param(
        variant("ipv4-addr", created=T0), False, ("created", "not defined"), id="sco-no-created"
    ),
    pytest.param(
        variant("marking-definition", modified=T0),
        False,
        ("modified", "not defined"),
        id="marking-no-modified",
    ),
    pytest.param(
        {"type": "bundle", "id": sid("bundle"), "objects": []},
        False,
        ("type", "bundle"),
        id="bundle",
    ),
]
TIMESTAMPS = [
    pytest.param(
        variant("indicator", created=DELETE), False, ("created", "is required"), id="no-created"
    ),
    pytest.param(
        variant("indicator", modified=DELETE), False, ("modified", "is required"), id="no-modified"
    ),
    pytest.param(
        variant("indicator", created="2021-03-04T05:06:07Z", modified="2021-03-04T05:06:07Z"),
        False,
        OK,
        id="seconds",
    ),
    pytest.param(
        variant("indicator", modified="2021-03-04T05:06:07.123456Z"), False, OK, id="microseconds"
    ),
    pytest.param(
        variant("indicator", modified="2021-03-04T05:06:07.1234567Z"),
        False,
        ("modified", "not a STIX timestamp"),
        id="nanoseconds",
    ),
    pytest.param(
        variant("indicator", modified="2021-03-04T05:06:07+00:00"),
        False,
        ("modified", "not a STIX timestamp"),
        id="offset",
    ),
    pytest.param(
        variant("indicator", modified="2021-03-04t05:06:07z"),
        False,
        ("modified", "not a STIX timestamp"),
        id="lowercase",
    ),
    pytest.param(
        variant("indicator", modified="2021-3-4T5:6:7Z"),
        False,
        ("modified", "not a STIX timestamp"),
        id="one-digit",
    ),
    pytest.param(
        variant("indicator", modified="2021-02-30T00:00:00Z"),
        False,
        ("modified", "not a STIX timestamp"),
        id="feb-30",
    ),
    pytest.param(
        variant("indicator", modified="2021-03-04T23:59:60Z"),
        False,
        ("modified", "not a STIX timestamp"),
        id="leap-second",
    ),
    pytest.param(
        variant("indicator", modified=1614834367),
        False,
        ("modified", "not a STIX timestamp"),
        id="number",
    ),
    pytest.param(
        variant("indicator", modified="2021-03-04T05:06:06.999Z"),
        False,
        ("modified", "earlier than 'created'"),
        id="modified-before-created",
    ),
    pytest.param(variant("indicator", modified=T0), False, OK, id="modified-equals-created"),
]
COMMON = [
    pytest.param(
        variant("indicator", created_by_ref=IDENTITY), False, OK, id="created-by-identity"
    ),
    pytest.param(
        variant("indicator", created_by_ref=sid("malware")),
        False,
        ("created_by_ref", "identity"),
        id="created-by-malware",
    ),
    pytest.param(
        variant("indicator", created_by_ref=sid("x-acme-org")),
        True,
        ("created_by_ref", "identity"),
        id="created-by-custom",
    ),
    pytest.param(
        variant("indicator", object_marking_refs=[TLP_GREEN]), False, OK, id="marking-refs"
    ),
    pytest.param(
        variant("indicator", object_marking_refs=[IDENTITY]),
        False,
        ("object_marking_refs[0]", "marking-definition"),
        id="marking-refs-identity",
    ),
    pytest.param(
        variant("indicator", object_marking_refs=TLP_GREEN),
        False,
        ("object_marking_refs", "must be a list"),
        id="marking-refs-not-list",
    ),
    pytest.param(variant("indicator", labels=["a", "b"]), False, OK, id="labels"),
    pytest.param(
        variant("indicator", labels=[]), False, ("labels", "empty list"), id="labels-empty"
    ),
    pytest.param(
        variant("indicator", labels=["a", 5]),
        False,
        ("labels[1]", "must be a string"),
        id="labels-item",
    ),
    pytest.param(
        variant("indicator", labels=None), False, ("labels", "must not be null"), id="labels-null"
    ),
    pytest.param(variant("indicator", confidence=0), False, OK, id="confidence-0"),
    pytest.param(variant("indicator", confidence=100), False, OK, id="confidence-100"),
    pytest.param(
        variant("indicator", confidence=101),
        False,
        ("confidence", "between 0 and 100"),
        id="confidence-101",
    ),
    pytest.param(
        variant("indicator", confidence=-1),
        False,
        ("confidence", "between 0 and 100"),
        id="confidence-neg",
    ),
    pytest.param(
        variant("indicator", confidence="50"), False, ("confidence", "integer"), id="confidence-str"
    ),
    pytest.param(
        variant("indicator", confidence=True),
        False,
        ("confidence", "integer"),
        id="confidence-bool",
    ),
    pytest.param(
        variant("indicator", confidence=50.0),
        False,
        ("confidence", "integer"),
        id="confidence-float",
    ),
    pytest.param(variant("indicator", lang=5), False, ("lang", "string"), id="lang"),
    pytest.param(
        variant("indicator", revoked="true"), False, ("revoked", "true or false"), id="revoked-str"
    ),
    pytest.param(variant("indicator", revoked=True), False, OK, id="revoked"),
    pytest.param(variant("identity", name=42), False, ("name", "string"), id="name-int"),
]
EXTERNAL_REFERENCES = [
    pytest.param(
        variant(
            "vulnerability", external_references=[{"source_name": "cve", "external_id": "CVE-1"}]
        ),
        False,
        OK,
        id="ext-ref",
    ),
    pytest.param(
        variant("vulnerability", external_references=[{"external_id": "CVE-1"}]),
        False,
        ("external_references[0].source_name", "is required"),
        id="ext-ref-no-source",
    ),
    pytest.param(
        variant("vulnerability", external_references=[{"source_name": "cve"}]),
        False,
        ("external_references[0]", "at least one of"),
        id="ext-ref-only-source",
    ),
    pytest.param(
        variant(
            "vulnerability",
            external_references=[{"source_name": "a", "url": "u", "hashes": {"SHA-256": SHA256}}],
        ),
        False,
        OK,
        id="ext-ref-hashes",
    ),
    pytest.param(
        variant(
            "vulnerability",
            external_references=[{"source_name": "a", "url": "u", "hashes": {"x_foo": "1"}}],
        ),
        True,
        ("external_references[0].hashes", "hash-algorithm-ov"),
        id="ext-ref-custom-hash",
    ),
    pytest.param(
        variant(
            "vulnerability", external_references=[{"source_name": "a", "url": "u", "x_note": "n"}]
        ),
        False,
        ("external_references[0].x_note", "allow_custom"),
        id="ext-ref-custom-prop",
    ),
    pytest.param(
        variant(
            "vulnerability", external_references=[{"source_name": "a", "url": "u", "x_note": "n"}]
        ),
        True,
        OK,
        id="ext-ref-custom-prop-allowed",
    ),
    pytest.param(
        variant("tool", kill_chain_phases=[{"kill_chain_name": "lm", "phase_name": "delivery"}]),
        False,
        OK,
        id="kill-chain",
    ),
    pytest.param(
        variant("tool", kill_chain_phases=[{"kill_chain_name": "lm"}]),
        False,
        ("kill_chain_phases[0].phase_name", "is required"),
        id="kill-chain-no-phase",
    ),
]


@pytest.mark.parametrize(
    ("obj", "allow_custom", "expected"),
    ENVELOPE + TIMESTAMPS + COMMON + EXTERNAL_REFERENCES,
)
def test_common_rules(obj: Any, allow_custom: bool, expected: tuple[str, str] | None) -> None:
    check(obj, allow_custom, expected)


def test_unknown_object_type_message() -> None:
    with pytest.raises(StixValidationError, match=r"not a STIX 2\.1 object type"):
        validate_object({"type": "x-thing", "id": sid("x-thing")})


def test_other_exceptions_never_escape() -> None:
    weird: list[Any] = [None, 5, "str", [], {"type": None}, {"type": "indicator"}]
    weird += [variant("indicator", pattern=5), variant("indicator", extensions={5: {}})]
    for obj in weird:
        with pytest.raises(StixValidationError):
            validate_object(obj)
