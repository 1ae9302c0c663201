"""The hub's property tables and vocabularies are those of the stix2 library, type by type.

A property missing from a table would make valid objects fail; an extra one would let custom
content through as if it were standard. Required properties may only add those stix2 fills in
itself (id, spec_version, created, modified, and an indicator's valid_from; see
test_equivalence's "defaults" difference).
"""

from __future__ import annotations

from typing import Any

import pytest
import stix2.v21 as v21
from stix2.v21 import vocab as stix2_vocab

from hub.stix import vocab
from hub.stix._embedded import (
    ALTERNATE_DATA_STREAM,
    EMAIL_MIME_COMPONENT,
    EXTERNAL_REFERENCE,
    GRANULAR_MARKING,
    KILL_CHAIN_PHASE,
    SCO_EXTENSIONS,
    WINDOWS_PE_OPTIONAL_HEADER,
    WINDOWS_PE_SECTION,
    WINDOWS_REGISTRY_VALUE,
    X509_V3_EXTENSIONS,
)
from hub.stix._sco_schemas import SCO_SCHEMAS
from hub.stix._sdo_schemas import SCHEMAS
from hub.stix.identifiers import KNOWN_TYPES, META_TYPES, SCO_TYPES, SDO_TYPES, SRO_TYPES

FILLED_IN_BY_STIX2 = {"type", "id", "spec_version", "created", "modified", "valid_from"}
TYPES = {**SCHEMAS, **SCO_SCHEMAS}
EMBEDDED = [
    (EXTERNAL_REFERENCE, v21.ExternalReference),
    (KILL_CHAIN_PHASE, v21.KillChainPhase),
    (GRANULAR_MARKING, v21.GranularMarking),
    (EMAIL_MIME_COMPONENT, v21.EmailMIMEComponent),
    (WINDOWS_REGISTRY_VALUE, v21.WindowsRegistryValueType),
    (X509_V3_EXTENSIONS, v21.X509V3ExtensionsType),
    (ALTERNATE_DATA_STREAM, v21.AlternateDataStream),
    (WINDOWS_PE_SECTION, v21.WindowsPESection),
    (WINDOWS_PE_OPTIONAL_HEADER, v21.WindowsPEOptionalHeaderType),
]


def required(cls: Any) -> set[str]:
    return {name for name, prop in cls._properties.items() if prop.required}


def test_every_type_has_a_table() -> None:
    assert set(TYPES) == (set(v21.OBJ_MAP) - {"bundle"}) | set(v21.OBJ_MAP_OBSERVABLE)
    assert set(v21.OBJ_MAP_OBSERVABLE) == SCO_TYPES
    assert set(v21.OBJ_MAP) == SDO_TYPES | SRO_TYPES | META_TYPES | {"bundle"}
    assert set(v21.OBJ_MAP) | set(v21.OBJ_MAP_OBSERVABLE) == KNOWN_TYPES


@pytest.mark.parametrize("type_name", sorted(TYPES))
def test_object_table_matches_stix2(type_name: str) -> None:
    ours = TYPES[type_name]
    cls = v21.OBJ_MAP.get(type_name) or v21.OBJ_MAP_OBSERVABLE[type_name]
    assert set(ours.props) == set(cls._properties)
    assert required(cls) <= ours.required
    assert ours.required - required(cls) <= FILLED_IN_BY_STIX2


@pytest.mark.parametrize("name", sorted(SCO_EXTENSIONS))
def test_extension_table_matches_stix2(name: str) -> None:
    cls = v21.EXT_MAP[name]
    assert set(SCO_EXTENSIONS[name].props) == set(cls._properties)
    assert SCO_EXTENSIONS[name].required == required(cls)


def test_every_predefined_extension_has_a_table() -> None:
    assert set(SCO_EXTENSIONS) == set(v21.EXT_MAP)


@pytest.mark.parametrize(("ours", "cls"), EMBEDDED, ids=lambda x: getattr(x, "__name__", ""))
def test_embedded_table_matches_stix2(ours: Any, cls: Any) -> None:
    assert set(ours.props) == set(cls._properties)
    assert ours.required == required(cls)


@pytest.mark.parametrize(
    "name",
    [
        "ENCRYPTION_ALGORITHM",
        "EXTENSION_TYPE",
        "HASHING_ALGORITHM",
        "NETWORK_SOCKET_ADDRESS_FAMILY",
        "NETWORK_SOCKET_TYPE",
        "OPINION",
        "WINDOWS_INTEGRITY_LEVEL",
        "WINDOWS_REGISTRY_DATATYPE",
        "WINDOWS_SERVICE_START_TYPE",
        "WINDOWS_SERVICE_STATUS",
        "WINDOWS_SERVICE_TYPE",
    ],
)
def test_enumerations_match_stix2(name: str) -> None:
    assert getattr(vocab, name) == frozenset(getattr(stix2_vocab, name))
