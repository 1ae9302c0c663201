"""Mutations that exercise the documented differences between stix2 and the hub.

Each returns ``(obj, allow_custom)`` or None, like those of ``stix_mutations``; ``CATALOG`` lists
every mutation with its tag (``"same"`` or the id of the difference it exercises).
"""

from __future__ import annotations

import json
from typing import Any

import stix_mutations as same
from stix_corpus import TLP_IDS, Factory, Obj
from stix_mutations import (
    CLASSES,
    SCO_TYPES,
    TLP1_IDS,
    Mutation,
    Result,
    coin,
    pick,
    selected,
    stix2_props,
)


def drop_defaulted(f: Factory, o: Obj) -> Result:
    """Leave out a required property stix2 fills in: id, spec_version, created, modified..."""
    t = o["type"]
    if t in SCO_TYPES:
        keys = ["id"]
    elif t == "marking-definition":
        keys = [] if o["id"] in TLP1_IDS else ["id", "spec_version", "created"]
    else:
        keys = ["id", "spec_version", "created", "modified"]
        if t == "indicator" and "valid_until" not in o:
            keys.append("valid_from")
    key = pick(f, [k for k in keys if k in o])
    if key is None or t not in CLASSES:
        return None
    del o[key]
    return o, coin(f)


def null_or_empty(f: Factory, o: Obj) -> Result:
    """An optional property given as null or [] (stix2 drops both), or extensions {}."""
    t = o["type"]
    if t in SCO_TYPES:
        key = "object_marking_refs"
    elif t == "marking-definition":
        key = "external_references"
    else:
        key = f.r.choice(("labels", "external_references", "created_by_ref", "confidence"))
    prop = stix2_props(t).get(key)
    if key in selected(o) or prop is None or prop.required:
        return None
    kind = f.r.randrange(3)
    if kind == 2 and "extensions" in o and t != "marking-definition":
        o["extensions"] = {}
    else:
        o[key] = [] if kind == 0 and key.endswith(("s", "refs")) else None
    return o, coin(f)


def json_types(f: Factory, o: Obj) -> Result:
    """A value stix2 coerces: "50" for an integer, 1 or "true" for a boolean, a lone string."""
    t = o["type"]
    choices: list[tuple[str, Any]] = []
    props = stix2_props(t)
    if "confidence" in props:
        choices.append(("confidence", f.r.choice(("50", True, 50.0))))
    if "revoked" in props:
        choices.append(("revoked", f.r.choice(("true", 1, "F"))))
    if "labels" in props:
        choices.append(("labels", "single-label"))
    if "name" in o and "name" not in selected(o) and t in CLASSES:
        choices.append(("name", f.r.choice((42, 4.5, ["a", "b"], {"a": 1}))))
    if t == "observed-data":
        choices.append(("number_observed", "3"))
    if t == "malware" and o["is_family"] is True:
        choices.append(("is_family", f.r.choice(("true", 1, "T"))))
    if t in SCO_TYPES:
        choices.append(("defanged", f.r.choice(("false", 0, "1"))))
    if t == "marking-definition" and o.get("definition_type") == "statement":
        choices.append(("definition", json.dumps(o["definition"])))
    if not choices:
        return None
    key, value = f.r.choice(choices)
    o[key] = value
    return o, coin(f)


def lexical(f: Factory, o: Obj) -> Result:
    """A non-canonical spelling stix2 parses: timestamp case or digits, UUID form, base64."""
    t = o["type"]
    choices = []
    if "created" in o and o["id"] not in TLP1_IDS:
        choices += ["ts-case", "ts-digits"]
    if t in CLASSES and o["id"] not in TLP1_IDS:
        choices += ["id-hex", "id-braces"]
    if "created_by_ref" in o:
        choices.append("ref-urn")
    if "payload_bin" in o:
        choices.append("base64")
    kind = f.r.choice(choices) if choices else None
    if kind == "ts-case":
        o["created"] = o["created"].replace("T", "t").replace("Z", "z")
    elif kind == "ts-digits":
        o["created"] = "2014-1-2T3:4:5Z"
    elif kind in ("id-hex", "id-braces"):
        prefix, _, u = o["id"].partition("--")
        o["id"] = f"{prefix}--{u.replace('-', '')}" if kind == "id-hex" else f"{prefix}--{{{u}}}"
    elif kind == "ref-urn":
        o["created_by_ref"] = "identity--urn:uuid:" + f.uuid4()
    elif kind == "base64":
        o["payload_bin"] = f.r.choice(("!!!!", "YW Jj", "YWJj\n"))
    else:
        return None
    return o, coin(f)


def confidence_range(f: Factory, o: Obj) -> Result:
    if o["type"] in SCO_TYPES or o["type"] in ("marking-definition", "extension-definition"):
        return None
    if o["type"] not in CLASSES:
        return None
    o["confidence"] = f.r.choice((101, -1, 250, 10**6))
    return o, coin(f)


def modified_before_created(f: Factory, o: Obj) -> Result:
    if "modified" not in o or o["type"] not in CLASSES:
        return None
    o["created"], o["modified"] = "2020-06-01T00:00:00.000Z", "2020-05-31T23:59:59.999Z"
    return o, coin(f)


def custom_object_unchecked(f: Factory, o: Obj) -> Result:
    """stix2.parse returns unregistered types as they are: the hub still checks them."""
    if o["type"].startswith("x-"):
        kind = f.r.randrange(4)
        if kind == 0:
            del o["id"]
        elif kind == 1:
            o["created"] = "last tuesday"
        elif kind == 2:
            o["labels"] = []
        else:
            o["confidence"] = 500
        return o, True
    if o["type"] == "my-favorite-sdo":
        ext = next(iter(o["extensions"]))
        o["extensions"][ext] = f.r.choice(({}, {"extension_type": "new-thing"}))
        return o, False
    return None


def custom_property_name(f: Factory, o: Obj) -> Result:
    """Custom names stix2 allows (any name starting a-z) but §3.1/§11.1 do not."""
    if o["type"] not in CLASSES:
        return None
    name = f.r.choice(("x-acme-flag", "ab", "x_Acme", "x_acme.score", "x"))
    if coin(f) and "extensions" not in o and o["type"] != "extension-definition":
        o["extensions"] = {
            f.id("extension-definition"): {"extension_type": "toplevel-property-extension"}
        }
        o[name.replace("x", "X", 1)] = 1
        return o, False
    o[name] = 1
    return o, True


def selector_quirk(f: Factory, o: Obj) -> Result:
    """Selectors into list items or at falsy values: valid (§7.2.3.1), yet refused by stix2."""
    if "external_references" in o and coin(f):
        selector = "external_references.[0].source_name"
    elif "confidence" in stix2_props(o["type"]):
        o["confidence"] = 0
        selector = "confidence"
    else:
        return None
    o["granular_markings"] = [{"marking_ref": f.r.choice(TLP_IDS), "selectors": [selector]}]
    return o, coin(f)


def bundle(f: Factory, o: Obj) -> Result:
    """A bundle is not a STIX object (§8): stix2 parses it, validate_object refuses it."""
    if o["type"] not in CLASSES:
        return None
    return {"type": "bundle", "id": f.id("bundle"), "objects": [o]}, coin(f)


SAME = (
    same.drop_required,
    same.id_other_type,
    same.id_bad_variant,
    same.id_garbage,
    same.bad_timestamp,
    same.unknown_property,
    same.bad_pattern,
    same.wrong_type,
    same.bad_ref_target,
    same.custom_type_refs,
    same.custom_extension,
    same.toplevel_property,
    same.bad_selector,
    same.granular_both,
    same.hash_mutation,
    same.out_of_range,
    same.empty_required_list,
    same.spec_version_20,
    same.bad_extension_key,
    same.marking_mutation,
    same.break_constraint,
    same.predefined_extension,
    same.embedded_mutation,
    same.custom_type_denied,
)
DIFFERENT = {
    "defaults": drop_defaulted,
    "null-or-empty": null_or_empty,
    "json-types": json_types,
    "lexical": lexical,
    "confidence-range": confidence_range,
    "modified-before-created": modified_before_created,
    "custom-object-unchecked": custom_object_unchecked,
    "custom-property-names": custom_property_name,
    "selectors": selector_quirk,
    "bundle": bundle,
}
CATALOG = tuple(Mutation(m.__name__, "same", m) for m in SAME) + tuple(
    Mutation(m.__name__, tag, m) for tag, m in DIFFERENT.items()
)
#: stix2 does not validate objects of unregistered types at all: only these apply to them.
CUSTOM_TYPE_MUTATIONS = tuple(
    m
    for m in CATALOG
    if m.apply in (same.unknown_property, same.custom_type_denied, custom_object_unchecked)
)
