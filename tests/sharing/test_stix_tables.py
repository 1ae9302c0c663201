"""The hub's STIX tables used by sharing: required properties, the TLP:RED extension."""

from __future__ import annotations

from hub.sharing.context import REQUIRED_PROPERTIES, object_context, required_properties
from hub.sharing.extension import (
    RED_RECIPIENTS_EXTENSION_ID,
    red_recipients,
    red_recipients_extension_definition,
    red_recipients_problem,
)
from hub.stix import validate_object
from hub.stix._sco_schemas import SCO_SCHEMAS
from hub.stix._sdo_schemas import SCHEMAS
from tests.sharing.helpers import NOW, party, sdo


def test_required_properties_match_the_validator() -> None:
    schemas = SCHEMAS | SCO_SCHEMAS
    assert set(REQUIRED_PROPERTIES) == set(schemas)
    for kind, schema in schemas.items():
        assert REQUIRED_PROPERTIES[kind] == schema.required, kind
    assert "name" in required_properties("malware", {"is_family": True})
    assert "name" not in required_properties("malware", {"is_family": False})
    assert required_properties("x-custom-thing") >= {"id", "type", "created", "modified"}


def test_extension_definition_is_valid_stix_and_reuses_the_demo_id() -> None:
    from hub.demo import RED_RECIPIENTS_EXTENSION

    operator = "identity--6c307511-b2b9-437a-a8df-6ec4ce4a2bbd"
    ext = red_recipients_extension_definition(operator)
    info = validate_object(ext)
    assert info.id == RED_RECIPIENTS_EXTENSION_ID == RED_RECIPIENTS_EXTENSION
    assert ext["extension_types"] == ["property-extension"] and info.tlp == "clear"


def test_red_recipients_are_read_strictly() -> None:
    obj = sdo(tlp="red", red_for=("ne-cclt", "gh-ctfc"))
    assert red_recipients(obj) == {party("ne-cclt").identity_id, party("gh-ctfc").identity_id}
    assert red_recipients_problem(obj) is None
    ext = obj["extensions"][RED_RECIPIENTS_EXTENSION_ID]
    broken_ones: list[dict[str, object]] = [
        {"recipient_refs": []},
        {"recipient_refs": ["ne-cclt"]},
        {"other": 1},
    ]
    for broken in broken_ones:
        bad = {**obj, "extensions": {RED_RECIPIENTS_EXTENSION_ID: {**ext, **broken}}}
        assert red_recipients_problem(bad) and red_recipients(bad) == frozenset()
    assert object_context(obj, collection="c", now=NOW).red_recipients == red_recipients(obj)
