"""Table tests of the type-specific rules of validate_object (§4 SDOs, §5 SROs, §6 SCOs, §7)."""

from __future__ import annotations

from typing import Any

import pytest
from stix_minimal import (
    DELETE,
    IDENTITY,
    OK,
    T0,
    T1,
    TLP1_AMBER,
    TLP1_WHITE,
    check,
    sid,
    variant,
)

from hub.stix import TLP_DEFINITIONS

SDO_RULES = [
    pytest.param(
        variant("indicator", valid_from=DELETE),
        ("valid_from", "is required"),
        id="indicator-valid-from",
    ),
    pytest.param(variant("indicator", valid_until=T1), OK, id="indicator-valid-until"),
    pytest.param(
        variant("indicator", valid_until=T0),
        ("valid_until", "later than 'valid_from'"),
        id="indicator-valid-until-equal",
    ),
    pytest.param(
        variant("indicator", pattern="[ipv4-addr:value = ]"),
        ("pattern", "not a valid STIX pattern"),
        id="indicator-pattern",
    ),
    pytest.param(
        variant("indicator", pattern="alert tcp any", pattern_type="snort"),
        OK,
        id="indicator-snort",
    ),
    pytest.param(
        variant("indicator", pattern_type=DELETE),
        ("pattern_type", "is required"),
        id="indicator-pattern-type",
    ),
    pytest.param(variant("indicator", pattern_version="2.0"), OK, id="indicator-pattern-2.0"),
    pytest.param(
        variant("relationship", source_ref=sid("marking-definition")),
        ("source_ref", "must not refer to a marking-definition"),
        id="rel-source-marking",
    ),
    pytest.param(
        variant("relationship", target_ref=sid("sighting")),
        ("target_ref", "must not refer to a sighting"),
        id="rel-target-sighting",
    ),
    pytest.param(variant("relationship", target_ref=sid("ipv4-addr")), OK, id="rel-target-sco"),
    pytest.param(
        variant("relationship", relationship_type=DELETE),
        ("relationship_type", "is required"),
        id="rel-type",
    ),
    pytest.param(
        variant("relationship", start_time=T1, stop_time=T1),
        ("stop_time", "later than 'start_time'"),
        id="rel-stop",
    ),
    pytest.param(
        variant("sighting", sighting_of_ref=sid("ipv4-addr")),
        ("sighting_of_ref", "SDO"),
        id="sighting-of-sco",
    ),
    pytest.param(
        variant("sighting", sighting_of_ref=sid("extension-definition")),
        OK,
        id="sighting-of-ext-def",
    ),
    pytest.param(
        variant("sighting", count=-1), ("count", "between 0 and 999999999"), id="sighting-count"
    ),
    pytest.param(
        variant("sighting", where_sighted_refs=[IDENTITY, sid("location")]), OK, id="sighting-where"
    ),
    pytest.param(
        variant("sighting", where_sighted_refs=[sid("malware")]),
        ("where_sighted_refs[0]", "identity, location"),
        id="sighting-where-malware",
    ),
    pytest.param(
        variant("sighting", observed_data_refs=[sid("indicator")]),
        ("observed_data_refs[0]", "observed-data"),
        id="sighting-observed-data",
    ),
    pytest.param(
        variant("sighting", first_seen=T1, last_seen=T0),
        ("last_seen", "later than or equal to 'first_seen'"),
        id="sighting-seen",
    ),
    pytest.param(
        variant("report", published=DELETE), ("published", "is required"), id="report-published"
    ),
    pytest.param(
        variant("report", object_refs=[]), ("object_refs", "empty list"), id="report-object-refs"
    ),
    pytest.param(
        variant("report", object_refs=[sid("marking-definition")]),
        ("object_refs[0]", "SCO, SDO, SRO"),
        id="report-refs-marking",
    ),
    pytest.param(
        variant("malware", is_family=DELETE), ("is_family", "is required"), id="malware-is-family"
    ),
    pytest.param(
        variant("malware", is_family=True),
        ("name", "'is_family' is true"),
        id="malware-family-name",
    ),
    pytest.param(variant("malware", is_family=True, name="Poison Ivy"), OK, id="malware-family"),
    pytest.param(
        variant("malware", sample_refs=[sid("file")], operating_system_refs=[sid("software")]),
        OK,
        id="malware-refs",
    ),
    pytest.param(
        variant("malware", sample_refs=[sid("software")]),
        ("sample_refs[0]", "artifact, file"),
        id="malware-sample",
    ),
    pytest.param(
        variant("malware-analysis", result=DELETE),
        ("result", "at least one of the properties 'result'"),
        id="analysis-result",
    ),
    pytest.param(
        variant("malware-analysis", result=DELETE, analysis_sco_refs=[sid("file")]),
        OK,
        id="analysis-scos",
    ),
    pytest.param(variant("note", content=DELETE), ("content", "is required"), id="note-content"),
    pytest.param(
        variant("opinion", opinion="maybe"), ("opinion", "must be one of"), id="opinion-enum"
    ),
    pytest.param(
        variant("observed-data", number_observed=0), ("number_observed", "between 1"), id="od-zero"
    ),
    pytest.param(
        variant("observed-data", number_observed=1_000_000_000),
        ("number_observed", "999999999"),
        id="od-max",
    ),
    pytest.param(
        variant("observed-data", first_observed=T1, last_observed=T0),
        ("last_observed", "first_observed"),
        id="od-order",
    ),
    pytest.param(
        variant("observed-data", object_refs=[sid("indicator")]),
        ("object_refs[0]", "SCO, SRO"),
        id="od-refs",
    ),
    pytest.param(
        variant("observed-data", object_refs=DELETE),
        ("objects", "exactly one of the properties 'objects'"),
        id="od-neither",
    ),
    pytest.param(
        variant(
            "observed-data",
            object_refs=DELETE,
            objects={"0": {"type": "ipv4-addr", "value": "1.2.3.4"}},
        ),
        OK,
        id="od-objects",
    ),
    pytest.param(
        variant("observed-data", object_refs=DELETE, objects={"0": {"type": "ipv4-addr"}}),
        ("value", "is required"),
        id="od-objects-bad",
    ),
    pytest.param(
        variant("observed-data", object_refs=DELETE, objects={"0": {"type": "indicator"}}),
        ("objects.0", "cyber-observable type"),
        id="od-objects-sdo",
    ),
    pytest.param(
        variant("grouping", context=DELETE), ("context", "is required"), id="grouping-context"
    ),
    pytest.param(
        variant("location", region=DELETE),
        ("region", "'region', 'country', or 'latitude'"),
        id="location-none",
    ),
    pytest.param(
        variant("location", region=DELETE, latitude=1.5, longitude=30), OK, id="location-lat-long"
    ),
    pytest.param(variant("location", latitude=1.5), ("latitude", "pair"), id="location-lat-only"),
    pytest.param(
        variant("location", precision=10.0),
        ("precision", "'latitude' and 'longitude'"),
        id="location-precision",
    ),
    pytest.param(
        variant("location", latitude=91, longitude=0),
        ("latitude", "between -90.0 and 90.0"),
        id="location-lat-range",
    ),
    pytest.param(variant("identity", name=DELETE), ("name", "is required"), id="identity-name"),
    pytest.param(
        variant("identity", identity_class="any-value-at-all"), OK, id="identity-open-vocab"
    ),
    pytest.param(
        variant("language-content", contents=DELETE), ("contents", "is required"), id="lc-contents"
    ),
    pytest.param(variant("language-content", lang="fr"), ("lang", "not defined"), id="lc-lang"),
    pytest.param(
        variant("extension-definition", created_by_ref=DELETE),
        ("created_by_ref", "is required"),
        id="ed-created-by",
    ),
    pytest.param(
        variant("extension-definition", extension_types=["new-thing"]),
        ("extension_types[0]", "must be one of"),
        id="ed-types",
    ),
    pytest.param(
        variant("extension-definition", confidence=5),
        ("confidence", "not defined"),
        id="ed-confidence",
    ),
]
MARKING_RULES = [
    pytest.param(
        variant("marking-definition", definition_type=DELETE),
        ("definition", "needs 'definition_type'"),
        id="md-no-type",
    ),
    pytest.param(
        variant("marking-definition", definition_type="acme"),
        ("definition_type", "'tlp' or 'statement'"),
        id="md-type",
    ),
    pytest.param(
        variant("marking-definition", definition={"statement": "x", "x": 1}),
        ("definition", "statement"),
        id="md-extra",
    ),
    pytest.param(
        variant("marking-definition", definition_type=DELETE, definition=DELETE),
        ("definition", "or 'extensions'"),
        id="md-empty",
    ),
    pytest.param(
        variant("marking-definition", definition_type="tlp", definition={"tlp": "amber"}),
        ("id", "TLP 1.0"),
        id="md-tlp1-id",
    ),
    pytest.param(
        variant(
            "marking-definition", id=TLP1_AMBER, definition_type="tlp", definition={"tlp": "amber"}
        ),
        ("id", "TLP 1.0"),
        id="md-tlp1-created",
    ),
    pytest.param(
        variant(
            "marking-definition",
            id=TLP1_WHITE,
            created="2017-01-20T00:00:00Z",
            definition_type="tlp",
            definition={"tlp": "white"},
        ),
        OK,
        id="md-tlp1",
    ),
    pytest.param(
        variant("marking-definition", definition_type="tlp", definition={"tlp": "purple"}),
        ("definition", "TLP 1.0 level"),
        id="md-tlp-colour",
    ),
    *[pytest.param(d, OK, id=f"md-{d['name']}") for d in TLP_DEFINITIONS],
]


@pytest.mark.parametrize(("obj", "expected"), SDO_RULES + MARKING_RULES)
def test_type_rules(obj: Any, expected: tuple[str | None, str] | None) -> None:
    check(obj, False, expected)
