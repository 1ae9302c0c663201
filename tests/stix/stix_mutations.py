"""Mutations of valid objects for the equivalence corpus, each tagged with its expected relation.

A mutation takes a factory and a (deep-copied) valid object and returns ``(obj, allow_custom)``,
or None when it does not apply to that object. Its tag is ``"same"`` when ``stix2`` and the hub
must agree on the result, or the id of the documented difference it exercises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import stix2.properties as sp
from stix2.v21 import OBJ_MAP, OBJ_MAP_OBSERVABLE
from stix_corpus import INVALID_PATTERNS, TLP_IDS, Factory, Obj

from hub.stix import TLP_DEFINITIONS

Result = tuple[Obj, bool] | None
Mutator = Callable[[Factory, Obj], Result]

CLASSES: dict[str, Any] = OBJ_MAP | OBJ_MAP_OBSERVABLE
SCO_TYPES = frozenset(OBJ_MAP_OBSERVABLE)
TLP1_IDS = frozenset(d["id"] for d in TLP_DEFINITIONS if "definition" in d)
BAD_TIMESTAMPS = (
    "2020-13-01T00:00:00Z",
    "2021-02-30T00:00:00Z",
    "yesterday",
    "2020-01-01T00:00:00+00:00",
    "2020-01-01T00:00:00.1234567Z",
    "2020-01-01 00:00:00Z",
    "2020-01-01T00:00:60Z",
    "2020-01-01T24:00:00Z",
    1577836800,
)


@dataclass(frozen=True)
class Mutation:
    name: str
    tag: str
    apply: Mutator


def stix2_props(type_name: str) -> dict[str, Any]:
    cls = CLASSES.get(type_name)
    return dict(cls._properties) if cls is not None else {}


def selected(obj: Obj) -> set[str]:
    """Top-level properties a granular marking selects (mutating them changes stix2's view)."""
    return {s.split(".")[0] for m in obj.get("granular_markings", ()) for s in m["selectors"]}


def is_sdo_like(obj: Obj) -> bool:
    return "created" in obj and "modified" in obj and obj["type"] in CLASSES


def pick(f: Factory, keys: list[str]) -> str | None:
    return f.r.choice(sorted(keys)) if keys else None


def coin(f: Factory) -> bool:
    return f.r.random() < 0.5


# ---- mutations on which both validators must agree ----------------------------------------


def drop_required(f: Factory, o: Obj) -> Result:
    keys = [k for k, p in stix2_props(o["type"]).items() if p.required and k in o]
    key = pick(f, keys)
    if key is None:
        return None
    del o[key]
    return o, coin(f)


def id_other_type(f: Factory, o: Obj) -> Result:
    other = "indicator" if o["type"] != "indicator" else "malware"
    o["id"] = f.id(other)
    return o, coin(f)


def id_bad_variant(f: Factory, o: Obj) -> Result:
    t, _, u = o["id"].partition("--")
    o["id"] = f"{t}--{u[:19]}c{u[20:]}"
    return o, coin(f)


def id_garbage(f: Factory, o: Obj) -> Result:
    o["id"] = f.r.choice((f"{o['type']}--1234", f"{o['type']}-{f.uuid4()}", f.uuid4(), 42))
    return o, coin(f)


def bad_timestamp(f: Factory, o: Obj) -> Result:
    props = stix2_props(o["type"])
    keys = [k for k, p in props.items() if isinstance(p, sp.TimestampProperty) and k in o]
    key = pick(f, keys)
    if key is None:
        return None
    o[key] = f.r.choice(BAD_TIMESTAMPS)
    return o, coin(f)


def unknown_property(f: Factory, o: Obj) -> Result:
    o[f.r.choice(("x_acme_score", "unknown_property", "foo_bar"))] = f.r.choice(
        (1, "v", [1], {"a": 1})
    )
    return o, coin(f)


def bad_pattern(f: Factory, o: Obj) -> Result:
    if o["type"] != "indicator" or o["pattern_type"] != "stix":
        return None
    o["pattern"] = f.r.choice(INVALID_PATTERNS)
    return o, coin(f)


def wrong_type(f: Factory, o: Obj) -> Result:
    """A value of a JSON type that stix2 cannot coerce either."""
    props = stix2_props(o["type"])
    choices: list[tuple[str, Any]] = []
    for key, prop in props.items():
        if key not in o or key in ("type", "spec_version") or key in selected(o):
            continue
        if isinstance(prop, sp.ListProperty):
            choices.append((key, f.r.choice((5, 2.5, True))))
        elif isinstance(prop, sp.TimestampProperty):
            choices.append((key, f.r.choice((5, ["2020-01-01T00:00:00Z"]))))
        elif isinstance(prop, (sp.ReferenceProperty, sp.IDProperty)):
            choices.append((key, f.r.choice(("not-an-id", 17))))
        elif isinstance(prop, sp.BooleanProperty):
            choices.append((key, f.r.choice(("maybe", 2, [True]))))
        elif isinstance(prop, sp.IntegerProperty):
            choices.append((key, f.r.choice(("many", [1], {"n": 1}))))
        elif isinstance(prop, (sp.DictionaryProperty, sp.EmbeddedObjectProperty)):
            choices.append((key, f.r.choice((5, 2.5))))
        elif isinstance(prop, sp.EnumProperty):
            choices.append((key, "not-in-the-enum"))
    if not choices:
        return None
    key, value = f.r.choice(choices)
    o[key] = value
    return o, coin(f)


_BAD_REFS: dict[str, tuple[str, bool]] = {
    "created_by_ref": ("malware", False),
    "object_marking_refs": ("identity", True),
    "sighting_of_ref": ("ipv4-addr", False),
    "where_sighted_refs": ("malware", True),
    "observed_data_refs": ("indicator", True),
    "source_ref": ("marking-definition", False),
    "target_ref": ("sighting", False),
    "object_refs": ("marking-definition", True),
    "from_ref": ("ipv4-addr", False),
    "to_refs": ("url", True),
    "parent_directory_ref": ("file", False),
    "src_ref": ("file", False),
    "resolves_to_refs": ("file", True),
    "contains_refs": ("ipv4-addr", True),
    "operating_system_refs": ("file", True),
    "sample_refs": ("software", True),
    "image_ref": ("process", False),
    "belongs_to_ref": ("email-addr", False),
    "object_ref": ("marking-definition", False),
    "host_vm_ref": ("file", False),
}


def bad_ref_target(f: Factory, o: Obj) -> Result:
    keys = [k for k in _BAD_REFS if k in o]
    key = pick(f, keys)
    if key is None:
        return None
    target, is_list = _BAD_REFS[key]
    o[key] = [f.id(target)] if is_list else f.id(target)
    return o, coin(f)


def custom_type_refs(f: Factory, o: Obj) -> Result:
    """References to custom object types: refused unless custom content is allowed."""
    if "object_refs" not in o or o["type"] == "observed-data":
        return None
    o["object_refs"] = [f.id("x-acme-widget")]
    return o, coin(f)


def custom_extension(f: Factory, o: Obj) -> Result:
    if o["type"] == "extension-definition":
        return None
    o["extensions"] = {"x-acme-ext": {"flag": True}}
    return o, coin(f)


def toplevel_property(f: Factory, o: Obj) -> Result:
    if o["type"] in ("extension-definition", "bundle") or "extensions" in o:
        return None
    o["extensions"] = {
        f.id("extension-definition"): {"extension_type": "toplevel-property-extension"}
    }
    o["x_rank_score"] = f.r.randint(1, 9)
    return o, coin(f)


def bad_selector(f: Factory, o: Obj) -> Result:
    selector = f.r.choice(("no_such_property", "labels.[7]", "description.[0]", "Name", "a"))
    o["granular_markings"] = [{"marking_ref": f.r.choice(TLP_IDS), "selectors": [selector]}]
    return o, coin(f)


def granular_both(f: Factory, o: Obj) -> Result:
    if "granular_markings" not in o:
        return None
    o["granular_markings"][0].update(lang="en", marking_ref=TLP_IDS[0])
    return o, coin(f)


def hash_mutation(f: Factory, o: Obj) -> Result:
    if "hashes" not in o:
        return None
    kind = f.r.randrange(3)
    if kind == 0:
        o["hashes"]["SHA-256"] = "zz"
    elif kind == 1:
        o["hashes"]["x_acme_hash"] = "0badc0de"
    else:
        o["hashes"]["SHA-384"] = "ab" * 48
    return o, coin(f)


_RANGES: dict[str, tuple[Any, ...]] = {
    "number_observed": (0, 1_000_000_000, -3),
    "count": (-1, 1_000_000_000),
    "src_port": (70000, -1),
    "dst_port": (65536,),
    "size": (-1,),
    "latitude": (95.5, -90.1),
    "longitude": (180.5,),
    "precision": (-1.0,),
}


def out_of_range(f: Factory, o: Obj) -> Result:
    key = pick(f, [k for k in _RANGES if k in o])
    if key is None:
        return None
    o[key] = f.r.choice(_RANGES[key])
    return o, coin(f)


def empty_required_list(f: Factory, o: Obj) -> Result:
    key = pick(f, [k for k in ("object_refs", "protocols", "extension_types") if k in o])
    if key is None:
        return None
    o[key] = []
    return o, coin(f)


def spec_version_20(f: Factory, o: Obj) -> Result:
    o["spec_version"] = f.r.choice(("2.0", "2.2", 2.1))
    return o, coin(f)


def bad_extension_key(f: Factory, o: Obj) -> Result:
    if o["type"] == "extension-definition":
        return None
    value: Any = f.r.choice(({}, "x"))
    key = "extension-definition--1234" if isinstance(value, dict) else f.id("extension-definition")
    o["extensions"] = {key: value}
    return o, coin(f)


def marking_mutation(f: Factory, o: Obj) -> Result:
    if o["type"] != "marking-definition":
        return None
    kind = f.r.randrange(4)
    if kind == 0:
        o.update(definition_type="tlp", definition={"tlp": "red"}, id=f.id("marking-definition"))
        o.pop("extensions", None)
    elif kind == 1:
        o.update(definition_type="acme", definition={"acme": "x"})
    elif kind == 2:
        o.update(definition_type="tlp", definition={"tlp": "purple"})
    else:
        o.pop("definition_type", None)
        o.pop("extensions", None)
        o["definition"] = {"statement": "x"}
    return o, coin(f)


def _constraint(o: Obj, f: Factory) -> bool:
    """Break the co-constraint of the object's type, if it has one; True if done."""
    t = o["type"]
    early, late = "2014-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z"
    pairs = {
        "indicator": ("valid_from", "valid_until"),
        "campaign": ("first_seen", "last_seen"),
        "threat-actor": ("first_seen", "last_seen"),
        "infrastructure": ("first_seen", "last_seen"),
        "intrusion-set": ("first_seen", "last_seen"),
        "malware": ("first_seen", "last_seen"),
        "sighting": ("first_seen", "last_seen"),
        "observed-data": ("first_observed", "last_observed"),
        "relationship": ("start_time", "stop_time"),
    }
    if t == "observed-data" and coin(f):
        o["objects"] = {"0": {"type": "ipv4-addr", "value": "198.51.100.1"}}
        o["object_refs"] = [f.id("ipv4-addr")]
    elif t in pairs:
        first, last = pairs[t]
        o[first], o[last] = (
            late,
            (late if t in ("indicator", "relationship") and coin(f) else early),
        )
    elif t == "location":
        for key in ("region", "country", "latitude"):
            o.pop(key, None)
    elif t == "malware-analysis":
        o.pop("result", None)
        o.pop("analysis_sco_refs", None)
    elif t == "artifact":
        if coin(f):  # both payload_bin and url
            o.update(payload_bin="YWJj", url="https://x.example", hashes={"MD5": "0" * 32})
        else:  # url without hashes
            o.pop("payload_bin", None)
            o.pop("hashes", None)
            o["url"] = "https://x.example"
    elif t == "email-message":
        o.update(is_multipart=not o["is_multipart"])
    elif t == "file":
        o.pop("name", None)
        o.pop("hashes", None)
    elif t == "network-traffic":
        o.pop("src_ref", None)
        o.pop("dst_ref", None)
        if coin(f):
            o.update(src_ref=f.id("ipv4-addr"), end=late, is_active=True)
    elif t in ("x509-certificate", "process"):
        for key in list(o):
            if key not in ("type", "id", "spec_version", "defanged"):
                del o[key]
    else:
        return False
    return True


def break_constraint(f: Factory, o: Obj) -> Result:
    if o["type"] == "malware" and coin(f):
        o.update(is_family=True)
        o.pop("name", None)
        o.pop("granular_markings", None)
        return o, coin(f)
    if not _constraint(o, f):
        return None
    o.pop("granular_markings", None)
    return o, coin(f)


def predefined_extension(f: Factory, o: Obj) -> Result:
    if o["type"] == "extension-definition":
        return None
    o["extensions"] = f.r.choice(
        (
            {"ntfs-ext": {}},
            {"socket-ext": {"address_family": "AF_FOO"}},
            {"icmp-ext": {"icmp_type_hex": "0g", "icmp_code_hex": "00"}},
            {"archive-ext": {"comment": "no contains_refs"}},
            {"windows-pebinary-ext": {"pe_type": "exe", "optional_header": {}}},
            {"http-request-ext": {"request_method": "get"}},
            {"socket-ext": {"address_family": "AF_INET", "options": {"BAD": 1}}},
        )
    )
    return o, coin(f)


def embedded_mutation(f: Factory, o: Obj) -> Result:
    if "external_references" in o and coin(f):
        o["external_references"] = [f.r.choice(({"source_name": "x"}, {"url": "u"}, 5))]
    elif "kill_chain_phases" in o:
        o["kill_chain_phases"] = [{"phase_name": "x"}]
    elif "body_multipart" in o:
        o["body_multipart"] = [{"content_type": "text/plain"}]
    else:
        return None
    return o, coin(f)


def custom_type_denied(f: Factory, o: Obj) -> Result:
    if not o["type"].startswith("x-"):
        return None
    return o, False
