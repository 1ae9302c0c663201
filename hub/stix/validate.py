"""``validate_object``: is a JSON object a valid STIX 2.1 object, and what does the hub need of it.

A table-driven, hand-written validator: per type, a table of property checkers (§4-§7, §6), the
common-property rules (§3.2), co-constraints, granular-marking selectors (§7.2.3.1), custom
content (§7.3, §11) and, for indicators, the pattern grammar (§9, cached). It accepts what
``stix2.parse`` accepts except for the differences listed in ``tests/stix/test_equivalence.py``,
each justified by the specification, at a small fraction of its cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.stix._checkers import Ctx, Schema, custom_property, show
from hub.stix._sco_schemas import SCO_COMMON, SCO_SCHEMAS
from hub.stix._sdo_schemas import REQUIRED, SCHEMAS, SDO_COMMON
from hub.stix.errors import StixValidationError
from hub.stix.extensions import new_object_extension_type, toplevel_extension_present
from hub.stix.identifiers import PROPERTY_NAME, SCO_TYPES, id_type, valid_type_name
from hub.stix.selectors import selects
from hub.stix.tlp import tlp_level

__all__ = ["ObjectInfo", "check_observable_container", "validate_object"]

_SCHEMAS: dict[str, Schema] = SCHEMAS | SCO_SCHEMAS
_CUSTOM_SDO = Schema(SDO_COMMON, REQUIRED)
_CUSTOM_SCO = Schema(SCO_COMMON, frozenset({"type", "id"}))


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """What the hub indexes of a valid object."""

    id: str
    type: str
    spec_version: str
    created: datetime | None
    modified: datetime | None
    created_by_ref: str | None
    revoked: bool
    tlp: str | None
    is_sco: bool
    custom: bool


def validate_object(obj: object, *, allow_custom: bool = False) -> ObjectInfo:
    """Check one STIX 2.1 object (SDO §4, SRO §5, SCO §6, meta object §7) and describe it.

    Custom content (properties outside the spec, custom object types and extensions, §11) is
    refused unless ``allow_custom``; objects of types defined by an extension definition (§7.3,
    ``new-sdo``/``new-sco``/``new-sro``) are accepted either way. Raises StixValidationError.
    """
    if type(obj) is not dict:
        raise StixValidationError(f"a STIX object must be a JSON object, not {show(obj)}")
    type_name = obj.get("type")
    if type_name is None:
        raise StixValidationError("property 'type' is required", prop="type")
    if type(type_name) is not str:
        raise StixValidationError(f"property 'type' must be a string, not {show(type_name)}")
    ctx = Ctx(type_name, allow_custom)
    schema = _SCHEMAS.get(type_name)
    own_properties = False
    if schema is None:
        schema = _custom_type_schema(obj, type_name, ctx)
        own_properties = True
    _check(obj, type_name, schema, ctx, id_required=True, own_properties=own_properties)
    is_sco = schema is _CUSTOM_SCO or type_name in SCO_TYPES
    revoked = obj.get("revoked")
    return ObjectInfo(
        id=obj["id"],
        type=type_name,
        spec_version="2.1",
        created=ctx.times.get("created"),
        modified=ctx.times.get("modified"),
        created_by_ref=obj.get("created_by_ref"),
        revoked=revoked is True,
        tlp=tlp_level(obj.get("object_marking_refs", ())),
        is_sco=is_sco,
        custom=ctx.custom,
    )


def _custom_type_schema(obj: dict[str, Any], type_name: str, ctx: Ctx) -> Schema:
    """§7.3.2.2, §11.2: a type STIX does not define, by extension definition or as custom."""
    if type_name == "bundle":
        raise StixValidationError(
            "a bundle is not a STIX object (§8); submit the objects it contains", prop="type"
        )
    if not valid_type_name(type_name):
        raise StixValidationError(
            f"property 'type' ({show(type_name)}) is not a valid type name "
            "(a-z first, then a-z, 0-9 and single hyphens, 3-250 long)",
            prop="type",
        )
    extension_type = new_object_extension_type(obj.get("extensions"))
    if extension_type is None and not ctx.allow_custom:
        raise StixValidationError(
            f"'{type_name}' is not a STIX 2.1 object type (custom object types need "
            "allow_custom, or an extension definition of type new-sdo, new-sco or new-sro)",
            prop="type",
        )
    ctx.custom = True
    if extension_type == "new-sco" or (
        extension_type is None and "created" not in obj and "modified" not in obj
    ):
        return _CUSTOM_SCO
    return _CUSTOM_SDO


def _check(
    obj: dict[str, Any],
    type_name: str,
    schema: Schema,
    ctx: Ctx,
    *,
    id_required: bool,
    own_properties: bool,
) -> None:
    """Check one object against its table, then its co-constraints and selectors."""
    for key in schema.required:
        if key not in obj and (id_required or key != "id"):
            ctx.fail(key, "is required")
    if "id" in obj and id_type(obj["id"]) != type_name:
        ctx.fail("id", f"({show(obj['id'])}) must be an identifier '{type_name}--<UUID>'")
    props = schema.props
    toplevel: bool | None = None
    for key, value in obj.items():
        checker = props.get(key)
        if checker is not None:
            if value is None:
                ctx.fail(key, "must not be null")
            checker(value, ctx, key)
            continue
        if toplevel is None:
            toplevel = own_properties or toplevel_extension_present(obj.get("extensions"))
        if toplevel:
            _extension_property(key, value, ctx)
        else:
            custom_property(key, value, ctx, key)
    created = ctx.times.get("created")
    modified = ctx.times.get("modified")
    if created is not None and modified is not None and modified < created:
        ctx.fail("modified", f"({obj['modified']}) is earlier than 'created' ({obj['created']})")
    if schema.constraint is not None:
        schema.constraint(obj, ctx, "")
    for i, marking in enumerate(obj.get("granular_markings", ())):
        for j, selector in enumerate(marking["selectors"]):
            if not selects(obj, selector):
                ctx.fail(
                    f"granular_markings[{i}].selectors[{j}]",
                    f"('{selector}') selects nothing present in the object",
                )


def _extension_property(key: str, value: Any, ctx: Ctx) -> None:
    """A property an extension adds (§7.3.2.1) or an extension-defined type has (§7.3.2.2)."""
    if type(key) is not str or PROPERTY_NAME.fullmatch(key) is None:
        ctx.fail(key, "is not a valid property name (a-z first, then a-z, 0-9, _; 3-250 long)")
    if value is None or value == []:
        ctx.fail(key, "must not be null or an empty list")


def check_observable_container(v: Any, ctx: Ctx, path: str) -> None:
    """§2.13 (deprecated) observed-data ``objects``: SCOs keyed by local references.

    As in ``stix2``, each value is checked as an SCO whose ``id`` may be left out; types that
    are not SCOs are custom content.
    """
    if type(v) is not dict:
        ctx.fail(path, f"must be a dictionary of cyber-observable objects, not {show(v)}")
    if not v:
        ctx.fail(path, "must not be an empty dictionary")
    for key, sco in v.items():
        sub = f"{path}.{key}"
        if type(sco) is not dict or type(sco.get("type")) is not str:
            ctx.fail(sub, "must be a cyber-observable object with a 'type'")
        sco_type = sco["type"]
        schema = SCO_SCHEMAS.get(sco_type)
        if schema is None:
            if not ctx.allow_custom:
                ctx.fail(sub, f"has type '{sco_type}', not a STIX 2.1 cyber-observable type")
            ctx.custom = True
            continue
        inner = Ctx(f"{ctx.type} {sub} ({sco_type})", ctx.allow_custom)
        _check(sco, sco_type, schema, inner, id_required=False, own_properties=False)
        ctx.custom = ctx.custom or inner.custom
