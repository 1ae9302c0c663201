"""What the sharing engine needs of one object, computed once: :class:`ObjectContext`.

Everything a rule may test (type, TLP, labels, confidence, age, collection, the types at the ends
of relationships and sightings, derived from the STIX id prefixes, §2.9) and everything a
decision must respect (the TLP of granular markings, §7.2.3; the recipients named for TLP:RED;
the references the object depends on; the properties STIX 2.1 requires) is read here, so that
deciding for one object against every tenant costs a few set look-ups per rule and tenant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.sharing.extension import red_recipients
from hub.stix.identifiers import SCO_TYPES
from hub.stix.timestamps import timestamp_or_none
from hub.stix.tlp import TLP_MARKING_IDS, tlp_level

__all__ = [
    "COMMON_REQUIRED",
    "PROTECTED_PROPERTIES",
    "REQUIRED_PROPERTIES",
    "ObjectContext",
    "RefField",
    "object_context",
    "required_properties",
    "stix_constraint_violation",
]

#: §3.2: the common properties every SDO and SRO must carry.
COMMON_REQUIRED = frozenset({"type", "spec_version", "id", "created", "modified"})
_SCO_REQUIRED = frozenset({"type", "id"})  # §6.1 (spec_version is optional on SCOs)

#: Required properties beyond the common ones, per type (STIX 2.1 §4-§7; the same table as
#: ``hub.stix``'s validator, which a test checks).
_EXTRA_REQUIRED: dict[str, frozenset[str]] = {
    t: frozenset(props)
    for t, props in {
        "attack-pattern": ("name",),
        "campaign": ("name",),
        "course-of-action": ("name",),
        "grouping": ("context", "object_refs"),
        "identity": ("name",),
        "incident": ("name",),
        "indicator": ("pattern", "pattern_type", "valid_from"),
        "infrastructure": ("name",),
        "intrusion-set": ("name",),
        "location": (),
        "malware": ("is_family",),
        "malware-analysis": ("product",),
        "note": ("content", "object_refs"),
        "observed-data": ("first_observed", "last_observed", "number_observed"),
        "opinion": ("opinion", "object_refs"),
        "report": ("name", "published", "object_refs"),
        "threat-actor": ("name",),
        "tool": ("name",),
        "vulnerability": ("name",),
        "relationship": ("relationship_type", "source_ref", "target_ref"),
        "sighting": ("sighting_of_ref",),
        "language-content": ("object_ref", "contents"),
        "extension-definition": ("created_by_ref", "name", "schema", "version", "extension_types"),
        "autonomous-system": ("number",),
        "directory": ("path",),
        "domain-name": ("value",),
        "email-addr": ("value",),
        "email-message": ("is_multipart",),
        "ipv4-addr": ("value",),
        "ipv6-addr": ("value",),
        "mac-addr": ("value",),
        "mutex": ("name",),
        "network-traffic": ("protocols",),
        "software": ("name",),
        "url": ("value",),
    }.items()
}

#: type -> every property STIX 2.1 requires of it: these are never redacted nor encrypted.
REQUIRED_PROPERTIES: dict[str, frozenset[str]] = {
    t: (_SCO_REQUIRED if t in SCO_TYPES else COMMON_REQUIRED) | extra
    for t, extra in _EXTRA_REQUIRED.items()
}
for _t in SCO_TYPES - REQUIRED_PROPERTIES.keys():
    REQUIRED_PROPERTIES[_t] = _SCO_REQUIRED
REQUIRED_PROPERTIES["marking-definition"] = frozenset({"type", "spec_version", "id", "created"})

#: Data markings travel with the data they mark (§7.2): no rule may strip them.
PROTECTED_PROPERTIES = frozenset({"object_marking_refs", "granular_markings"})

# Co-constraints (§4-§6): at least one property of each group must stay, and properties that
# only make sense together go together.
_ONE_OF: dict[str, tuple[tuple[str, ...], ...]] = {
    "location": (("region", "country", "latitude"),),
    "malware-analysis": (("result", "analysis_sco_refs"),),
    "observed-data": (("objects", "object_refs"),),
    "file": (("hashes", "name"),),
    "network-traffic": (("src_ref", "dst_ref"),),
}
_TOGETHER: dict[str, tuple[frozenset[str], ...]] = {
    "location": (frozenset({"latitude", "longitude", "precision"}),),
}
_NOT_REFERENCES = frozenset({"created_by_ref", "object_marking_refs"})


def required_properties(obj_type: str, obj: Mapping[str, Any] | None = None) -> frozenset[str]:
    """The properties STIX 2.1 requires of `obj_type` (and of `obj`, for conditional ones).

    Unknown (custom) types: the common properties of an SDO (§3.2). A malware family
    (``is_family: true``) also requires its ``name`` (§4.12).
    """
    required = REQUIRED_PROPERTIES.get(obj_type, COMMON_REQUIRED)
    if obj_type == "malware" and obj is not None and obj.get("is_family") is True:
        required = required | {"name"}
    return required


def stix_constraint_violation(obj_type: str, present: set[str], removed: set[str]) -> str | None:
    """Why removing the top-level properties `removed` would leave an invalid object, or None."""
    for group in _ONE_OF.get(obj_type, ()):
        kept = [p for p in group if p in present and p not in removed]
        if not kept and any(p in present for p in group):
            return f"{obj_type} needs one of {', '.join(group)}; the actions would remove them all"
    return None


def together(obj_type: str, prop: str) -> frozenset[str]:
    """The properties that must be removed along with `prop` (e.g. a location's coordinates)."""
    for group in _TOGETHER.get(obj_type, ()):
        if prop in group:
            return group
    return frozenset({prop})


@dataclass(frozen=True, slots=True)
class RefField:
    """A reference property of an object: its ids and what an invisible id does to the object.

    ``required``: the object is not shared unless at least one id stays (a relationship's ends,
    a report's ``object_refs``). ``single``: a ``*_ref`` property, removed whole when pruned.
    """

    ids: tuple[str, ...]
    required: bool
    single: bool


@dataclass(frozen=True, slots=True)
class ObjectContext:
    """One object as the rules see it, computed once per object version (no I/O)."""

    object_id: str
    type: str
    collection: str
    tlp: str | None
    granular: tuple[tuple[str, tuple[str, ...]], ...]
    labels: frozenset[str]
    confidence: int | None
    age_days: Mapping[str, float]
    relationship_type: str | None
    source_type: str | None
    target_type: str | None
    sighting_of_type: str | None
    where_sighted_types: frozenset[str]
    red_recipients: frozenset[str]
    refs: Mapping[str, RefField]
    required: frozenset[str]

    @property
    def granular_levels(self) -> frozenset[str]:
        """The TLP levels granular markings give to parts of the object."""
        return frozenset(level for level, _ in self.granular)


def _type_of(ref: object) -> str | None:
    return ref.split("--", 1)[0] if isinstance(ref, str) and "--" in ref else None


def _granular(obj: Mapping[str, Any]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(TLP level, selectors) of each granular marking that is a TLP marking (§7.2.3)."""
    out: list[tuple[str, tuple[str, ...]]] = []
    markings = obj.get("granular_markings")
    if isinstance(markings, list):
        for gm in markings:
            if not isinstance(gm, dict):
                continue
            level = TLP_MARKING_IDS.get(str(gm.get("marking_ref")))
            selectors = gm.get("selectors")
            if level and isinstance(selectors, list):
                out.append((level, tuple(s for s in selectors if isinstance(s, str) and s)))
    return tuple(out)


def _refs(obj: Mapping[str, Any], obj_type: str, required: frozenset[str]) -> dict[str, RefField]:
    """The object's top-level references (§3.3), except its creator and marking definitions."""
    refs: dict[str, RefField] = {}
    for key, value in obj.items():
        if key in _NOT_REFERENCES:
            continue
        if key.endswith("_ref") and isinstance(value, str):
            refs[key] = RefField((value,), key in required, True)
        elif key.endswith("_refs") and isinstance(value, list):
            ids = tuple(v for v in value if isinstance(v, str))
            needed = key in required or (obj_type, key) == ("sighting", "where_sighted_refs")
            if obj_type == "observed-data" and key == "object_refs" and "objects" not in obj:
                needed = True
            refs[key] = RefField(ids, needed, False)
    return refs


def object_context(
    obj: Mapping[str, Any],
    *,
    collection: str,
    now: datetime,
    tlp: str | None = None,
) -> ObjectContext:
    """Compute the :class:`ObjectContext` of a validated object published to `collection`.

    `tlp` is the object's own TLP level if the caller has it (``ObjectInfo.tlp``); otherwise it
    is read from ``object_marking_refs`` (§7.2.2). `now` is the moment of the decision, from
    which ages are measured (the engine itself never reads the clock).
    """
    obj_type = str(obj.get("type", ""))
    level = tlp if tlp is not None else tlp_level(obj.get("object_marking_refs") or ())
    labels = obj.get("labels")
    confidence = obj.get("confidence")
    ages: dict[str, float] = {}
    for prop in ("created", "modified"):
        stamp = timestamp_or_none(obj.get(prop))
        if stamp is not None:
            ages[prop] = (now - stamp).total_seconds() / 86_400
    where = obj.get("where_sighted_refs")
    required = required_properties(obj_type, obj)
    relationship_type = obj.get("relationship_type")
    return ObjectContext(
        object_id=str(obj.get("id", "")),
        type=obj_type,
        collection=collection,
        tlp=level,
        granular=_granular(obj),
        labels=frozenset(x for x in labels if isinstance(x, str))
        if isinstance(labels, list)
        else frozenset(),
        confidence=confidence if type(confidence) is int else None,
        age_days=ages,
        relationship_type=relationship_type if isinstance(relationship_type, str) else None,
        source_type=_type_of(obj.get("source_ref")) if obj_type == "relationship" else None,
        target_type=_type_of(obj.get("target_ref")) if obj_type == "relationship" else None,
        sighting_of_type=_type_of(obj.get("sighting_of_ref")) if obj_type == "sighting" else None,
        where_sighted_types=frozenset(
            t for t in map(_type_of, where if isinstance(where, list) else ()) if t
        ),
        red_recipients=red_recipients(obj),
        refs=_refs(obj, obj_type, required),
        required=required,
    )
