"""STIX 2.1 type names, property names, identifiers and the type rules of references.

Sections: §2.9 Identifier, §3.1 Property Names and String Literals, §3.3 Object IDs and
References, §7.3.2 (names in extensions), §11 (custom content). The reference rules mirror the
``stix2`` library's ``ReferenceProperty`` (whitelists of type classes SDO/SCO/SRO or of types),
including its widening of class whitelists to unknown types when custom content is allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "KNOWN_TYPES",
    "META_TYPES",
    "PROPERTY_NAME",
    "SCO_TYPES",
    "SDO_TYPES",
    "SRO_TYPES",
    "RefSpec",
    "id_type",
    "is_custom_type",
    "ref_type_error",
    "valid_type_name",
]

SDO_TYPES = frozenset(
    {
        "attack-pattern",
        "campaign",
        "course-of-action",
        "grouping",
        "identity",
        "incident",
        "indicator",
        "infrastructure",
        "intrusion-set",
        "location",
        "malware",
        "malware-analysis",
        "note",
        "observed-data",
        "opinion",
        "report",
        "threat-actor",
        "tool",
        "vulnerability",
    }
)
SRO_TYPES = frozenset({"relationship", "sighting"})
SCO_TYPES = frozenset(
    {
        "artifact",
        "autonomous-system",
        "directory",
        "domain-name",
        "email-addr",
        "email-message",
        "file",
        "ipv4-addr",
        "ipv6-addr",
        "mac-addr",
        "mutex",
        "network-traffic",
        "process",
        "software",
        "url",
        "user-account",
        "windows-registry-key",
        "x509-certificate",
    }
)
META_TYPES = frozenset({"extension-definition", "language-content", "marking-definition"})
#: Every type STIX 2.1 defines (and ``bundle``, which is not an object but has identifiers).
KNOWN_TYPES = SDO_TYPES | SRO_TYPES | SCO_TYPES | META_TYPES | {"bundle"}

# The class of a type for reference rules. stix2 counts extension-definition as an SDO.
_CLASS_OF: dict[str, str] = {t: "SDO" for t in SDO_TYPES | {"extension-definition"}}
_CLASS_OF.update({t: "SRO" for t in SRO_TYPES})
_CLASS_OF.update({t: "SCO" for t in SCO_TYPES})
_ALL_CLASSES = frozenset({"SDO", "SCO", "SRO"})

_TYPE = r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*"
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
_TYPE_NAME = re.compile(_TYPE, re.ASCII)
_IDENTIFIER = re.compile(rf"({_TYPE})--{_UUID}", re.ASCII)
#: §3.1 / §7.3.2.1 / §11.1: a-z first, then a-z, 0-9 and underscore, 3 to 250 characters.
PROPERTY_NAME = re.compile(r"[a-z][a-z0-9_]{2,249}", re.ASCII)


def valid_type_name(name: str) -> bool:
    """§3.1, §7.3.2.2: a-z first, then a-z, 0-9 and single hyphens, 3 to 250 characters."""
    return 3 <= len(name) <= 250 and _TYPE_NAME.fullmatch(name) is not None


def id_type(value: object) -> str | None:
    """The type part of a canonical identifier ``type--UUID`` (§2.9), or None if not one.

    The UUID must be written in the RFC 4122 8-4-4-4-12 form with the RFC 4122 variant; as in
    ``stix2``, any UUID version is accepted (v4 for SDOs and v5 for SCOs are only SHOULDs).
    """
    if type(value) is not str:
        return None
    m = _IDENTIFIER.fullmatch(value)
    return m.group(1) if m is not None else None


def is_custom_type(type_name: str) -> bool:
    """True for a type STIX 2.1 does not define (stix2 also treats every ``x-`` type as custom)."""
    return type_name not in KNOWN_TYPES or type_name.startswith("x-")


@dataclass(frozen=True, slots=True)
class RefSpec:
    """The types an identifier reference may point to (§3.3).

    ``classes`` are type classes (``SDO``, ``SCO``, ``SRO``) and ``types`` single types, together
    a whitelist; with ``blacklist`` set, ``types`` lists the forbidden types instead.
    """

    classes: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    blacklist: bool = False

    def describe(self) -> str:
        return ", ".join(sorted(self.classes | self.types))


def ref_type_error(ref_type: str, spec: RefSpec, allow_custom: bool) -> str | None:
    """Why a reference to an object of ``ref_type`` breaks ``spec``, or None if it is fine."""
    cls = _CLASS_OF.get(ref_type)
    if spec.blacklist:
        ok = ref_type not in spec.types
    elif allow_custom and spec.classes:
        # An unregistered type may belong to any class: refuse only types of other classes.
        ok = cls not in (_ALL_CLASSES - spec.classes) or ref_type in spec.types
    else:
        ok = cls in spec.classes or ref_type in spec.types
    if not ok:
        if spec.blacklist:
            return f"must not refer to a {ref_type} object"
        hint = "; custom object types need allow_custom" if is_custom_type(ref_type) else ""
        return f"must refer to one of: {spec.describe()} (not {ref_type}{hint})"
    if not allow_custom and is_custom_type(ref_type):
        return f"refers to custom object type '{ref_type}' (custom content needs allow_custom)"
    return None
