"""Property tables of the SDOs (§4), SROs (§5) and meta objects (§7), after ``stix2.v21``.

Each entry maps a property name to its checker; ``required`` adds the properties the spec marks
required, including ``id``, ``spec_version``, ``created`` and ``modified`` (§3.2), which ``stix2``
would fill in itself.
"""

from __future__ import annotations

from typing import Any

from hub.stix import _constraints as cc
from hub.stix import vocab
from hub.stix._checkers import (
    BOOLEAN,
    DICTIONARY,
    STRING,
    TIMESTAMP,
    Checker,
    Constraint,
    Ctx,
    Schema,
    at_least_one,
    enum,
    integer,
    list_of,
    number,
    ref,
    show,
)
from hub.stix._embedded import (
    EXTERNAL_REFERENCES,
    GRANULAR_MARKINGS,
    KILL_CHAIN_PHASES,
    STRINGS,
    refs_to,
)
from hub.stix.extensions import EXTENSIONS
from hub.stix.identifiers import RefSpec

__all__ = ["FIXED", "MARKING_REFS", "SCHEMAS", "SPEC_VERSION"]


def FIXED(v: Any, ctx: Ctx, path: str) -> None:
    """``type`` and ``id``: checked before the property loop."""


def SPEC_VERSION(v: Any, ctx: Ctx, path: str) -> None:
    """§3.2: objects of this specification say "2.1"."""
    if type(v) is not str or v != "2.1":
        ctx.fail(path, f'({show(v)}) must be "2.1"')


def DEFINITION(v: Any, ctx: Ctx, path: str) -> None:
    """§7.2.1: the marking definition itself, checked with definition_type by the constraint."""
    if type(v) is not dict:
        ctx.fail(path, f"must be a JSON object, not {show(v)}")


def OBSERVABLE_CONTAINER(v: Any, ctx: Ctx, path: str) -> None:
    """§2.13 (deprecated): observed-data ``objects``, a dictionary of SCOs."""
    from hub.stix.validate import check_observable_container  # import cycle: SCO tables

    check_observable_container(v, ctx, path)


MARKING_REFS = list_of(refs_to("marking-definition"))
ANY_OBJECT_REFS = list_of(refs_to(classes=("SCO", "SDO", "SRO")))
SOFTWARE_REF = refs_to("software")
NOT_A_RELATIONSHIP_END = ref(
    RefSpec(
        types=frozenset(
            {"bundle", "language-content", "marking-definition", "relationship", "sighting"}
        ),
        blacklist=True,
    )
)

#: §3.2 common properties of SDOs and SROs.
SDO_COMMON: dict[str, Checker] = {
    "type": FIXED,
    "spec_version": SPEC_VERSION,
    "id": FIXED,
    "created_by_ref": refs_to("identity"),
    "created": TIMESTAMP,
    "modified": TIMESTAMP,
    "revoked": BOOLEAN,
    "labels": STRINGS,
    "confidence": integer(0, 100),
    "lang": STRING,
    "external_references": EXTERNAL_REFERENCES,
    "object_marking_refs": MARKING_REFS,
    "granular_markings": GRANULAR_MARKINGS,
    "extensions": EXTENSIONS,
}
REQUIRED = frozenset({"type", "spec_version", "id", "created", "modified"})
_SEEN = cc.not_before("first_seen", "last_seen")


def _sdo(
    props: dict[str, Checker], required: tuple[str, ...] = (), constraint: Constraint | None = None
) -> Schema:
    return Schema(SDO_COMMON | props, REQUIRED | frozenset(required), constraint)


def _named(constraint: Constraint | None = None, **props: Checker) -> Schema:
    return _sdo({"name": STRING, "description": STRING} | props, ("name",), constraint)


SCHEMAS: dict[str, Schema] = {
    # §4 STIX Domain Objects
    "attack-pattern": _named(aliases=STRINGS, kill_chain_phases=KILL_CHAIN_PHASES),
    "campaign": _named(
        _SEEN, aliases=STRINGS, first_seen=TIMESTAMP, last_seen=TIMESTAMP, objective=STRING
    ),
    "course-of-action": _named(),
    "grouping": _sdo(
        {"name": STRING, "description": STRING, "context": STRING, "object_refs": ANY_OBJECT_REFS},
        ("context", "object_refs"),
    ),
    "identity": _named(
        roles=STRINGS, identity_class=STRING, sectors=STRINGS, contact_information=STRING
    ),
    "incident": _named(kill_chain_phases=KILL_CHAIN_PHASES),
    "indicator": _sdo(
        {
            "name": STRING,
            "description": STRING,
            "indicator_types": STRINGS,
            "pattern": STRING,
            "pattern_type": STRING,
            "pattern_version": STRING,
            "valid_from": TIMESTAMP,
            "valid_until": TIMESTAMP,
            "kill_chain_phases": KILL_CHAIN_PHASES,
        },
        ("pattern", "pattern_type", "valid_from"),
        cc.indicator,
    ),
    "infrastructure": _named(
        _SEEN,
        infrastructure_types=STRINGS,
        aliases=STRINGS,
        kill_chain_phases=KILL_CHAIN_PHASES,
        first_seen=TIMESTAMP,
        last_seen=TIMESTAMP,
    ),
    "intrusion-set": _named(
        _SEEN,
        aliases=STRINGS,
        first_seen=TIMESTAMP,
        last_seen=TIMESTAMP,
        goals=STRINGS,
        resource_level=STRING,
        primary_motivation=STRING,
        secondary_motivations=STRINGS,
    ),
    "location": _sdo(
        {
            "name": STRING,
            "description": STRING,
            "latitude": number(-90.0, 90.0),
            "longitude": number(-180.0, 180.0),
            "precision": number(0.0),
            "region": STRING,
            "country": STRING,
            "administrative_area": STRING,
            "city": STRING,
            "street_address": STRING,
            "postal_code": STRING,
        },
        constraint=cc.location,
    ),
    "malware": _sdo(
        {
            "name": STRING,
            "description": STRING,
            "malware_types": STRINGS,
            "is_family": BOOLEAN,
            "aliases": STRINGS,
            "kill_chain_phases": KILL_CHAIN_PHASES,
            "first_seen": TIMESTAMP,
            "last_seen": TIMESTAMP,
            "operating_system_refs": list_of(SOFTWARE_REF),
            "architecture_execution_envs": STRINGS,
            "implementation_languages": STRINGS,
            "capabilities": STRINGS,
            "sample_refs": list_of(refs_to("artifact", "file")),
        },
        ("is_family",),
        cc.malware,
    ),
    "malware-analysis": _sdo(
        {
            "product": STRING,
            "version": STRING,
            "host_vm_ref": SOFTWARE_REF,
            "operating_system_ref": SOFTWARE_REF,
            "installed_software_refs": list_of(SOFTWARE_REF),
            "configuration_version": STRING,
            "modules": STRINGS,
            "analysis_engine_version": STRING,
            "analysis_definition_version": STRING,
            "submitted": TIMESTAMP,
            "analysis_started": TIMESTAMP,
            "analysis_ended": TIMESTAMP,
            "result_name": STRING,
            "result": STRING,
            "analysis_sco_refs": list_of(refs_to(classes=("SCO",))),
            "sample_ref": refs_to(classes=("SCO",)),
        },
        ("product",),
        at_least_one("result", "analysis_sco_refs"),
    ),
    "note": _sdo(
        {"abstract": STRING, "content": STRING, "authors": STRINGS, "object_refs": ANY_OBJECT_REFS},
        ("content", "object_refs"),
    ),
    "observed-data": _sdo(
        {
            "first_observed": TIMESTAMP,
            "last_observed": TIMESTAMP,
            "number_observed": integer(1, 999_999_999),
            "objects": OBSERVABLE_CONTAINER,
            "object_refs": list_of(refs_to(classes=("SCO", "SRO"))),
        },
        ("first_observed", "last_observed", "number_observed"),
        cc.observed_data,
    ),
    "opinion": _sdo(
        {
            "explanation": STRING,
            "authors": STRINGS,
            "opinion": enum(vocab.OPINION),
            "object_refs": ANY_OBJECT_REFS,
        },
        ("opinion", "object_refs"),
    ),
    "report": _sdo(
        {
            "name": STRING,
            "description": STRING,
            "report_types": STRINGS,
            "published": TIMESTAMP,
            "object_refs": ANY_OBJECT_REFS,
        },
        ("name", "published", "object_refs"),
    ),
    "threat-actor": _named(
        _SEEN,
        threat_actor_types=STRINGS,
        aliases=STRINGS,
        first_seen=TIMESTAMP,
        last_seen=TIMESTAMP,
        roles=STRINGS,
        goals=STRINGS,
        sophistication=STRING,
        resource_level=STRING,
        primary_motivation=STRING,
        secondary_motivations=STRINGS,
        personal_motivations=STRINGS,
    ),
    "tool": _named(
        tool_types=STRINGS,
        aliases=STRINGS,
        kill_chain_phases=KILL_CHAIN_PHASES,
        tool_version=STRING,
    ),
    "vulnerability": _named(),
    # §5 STIX Relationship Objects
    "relationship": _sdo(
        {
            "relationship_type": STRING,
            "description": STRING,
            "source_ref": NOT_A_RELATIONSHIP_END,
            "target_ref": NOT_A_RELATIONSHIP_END,
            "start_time": TIMESTAMP,
            "stop_time": TIMESTAMP,
        },
        ("relationship_type", "source_ref", "target_ref"),
        cc.not_before("start_time", "stop_time", strictly=True),
    ),
    "sighting": _sdo(
        {
            "description": STRING,
            "first_seen": TIMESTAMP,
            "last_seen": TIMESTAMP,
            "count": integer(0, 999_999_999),
            "sighting_of_ref": refs_to(classes=("SDO",)),
            "observed_data_refs": list_of(refs_to("observed-data")),
            "where_sighted_refs": list_of(refs_to("identity", "location")),
            "summary": BOOLEAN,
        },
        ("sighting_of_ref",),
        _SEEN,
    ),
    # §7 STIX Meta Objects
    "language-content": Schema(
        {k: v for k, v in SDO_COMMON.items() if k != "lang"}
        | {"object_ref": refs_to(classes=("SCO", "SDO", "SRO")), "object_modified": TIMESTAMP}
        | {"contents": DICTIONARY},
        REQUIRED | {"object_ref", "contents"},
    ),
    "marking-definition": Schema(
        {
            k: SDO_COMMON[k]
            for k in (
                "type",
                "spec_version",
                "id",
                "created_by_ref",
                "created",
                "external_references",
                "object_marking_refs",
                "granular_markings",
                "extensions",
            )
        }
        | {"definition_type": STRING, "name": STRING, "definition": DEFINITION},
        frozenset({"type", "spec_version", "id", "created"}),
        cc.marking_definition,
    ),
    "extension-definition": Schema(
        {k: v for k, v in SDO_COMMON.items() if k not in ("confidence", "lang", "extensions")}
        | {
            "name": STRING,
            "description": STRING,
            "schema": STRING,
            "version": STRING,
            "extension_types": list_of(enum(vocab.EXTENSION_TYPE)),
            "extension_properties": STRINGS,
        },
        REQUIRED | {"created_by_ref", "name", "schema", "version", "extension_types"},
    ),
}
