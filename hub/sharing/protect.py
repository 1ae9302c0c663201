"""Which properties are sealed at rest: the hub's default table plus a policy's ``protect:``.

A protected property is removed from the stored object and kept only as a field ciphertext
under the version's data key (docs/crypto.md; :mod:`hub.objects.sealing`). What stays clear is
what the hub must read without keys: the properties STIX 2.1 requires of the type (§3.2 and
each type's section), the columns TAXII filters on (``id``, ``type``, ``spec_version``,
``created``, ``modified``, §3.4), ``revoked``, the creator (ownership) and the data markings and
extensions that decide who may receive the object (§7.2, §7.3).

Protection is per top-level property: the unit a field ciphertext covers. ``x_*`` names every
custom property (§11.1). Reference properties may be protected — ``where_sighted_refs`` is by
default — because the hub decrypts a version before deciding its grants, at publication and at
every re-evaluation, and rebuilds each recipient's object (with its reference pruning) from the
decrypted version at read time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hub.sharing.context import COMMON_REQUIRED, REQUIRED_PROPERTIES, required_properties

__all__ = [
    "ALL_TYPES",
    "CUSTOM",
    "DEFAULT_PROTECTED",
    "NEVER_PROTECTED",
    "protect_problem",
    "protected_properties",
]

#: The ``protect:`` key that applies to every type.
ALL_TYPES = "*"
#: The selector that names every custom property (``x_`` prefix, STIX 2.1 §11.1).
CUSTOM = "x_*"

#: Properties sealed unless a policy says more. Type → top-level property names.
DEFAULT_PROTECTED: Mapping[str, tuple[str, ...]] = {
    ALL_TYPES: (CUSTOM,),
    "indicator": ("description", "external_references"),
    "identity": ("contact_information",),
    "sighting": ("description", "where_sighted_refs"),
    "note": ("abstract", "authors"),
    "opinion": ("explanation", "authors"),
    "threat-actor": ("aliases", "description", "goals", "personal_motivations"),
    "intrusion-set": ("aliases", "goals"),
    "campaign": ("aliases", "objective"),
    "incident": ("description",),
    "location": ("street_address",),
}

#: Never sealed, whatever a policy says: filters, ownership, markings, extensions (§3.4, §7).
NEVER_PROTECTED = frozenset(
    {
        "id",
        "type",
        "spec_version",
        "created",
        "modified",
        "revoked",
        "created_by_ref",
        "object_marking_refs",
        "granular_markings",
        "extensions",
    }
)


def protect_problem(obj_type: str, prop: str) -> str | None:
    """Why `prop` of `obj_type` (or of every type, ``*``) cannot be protected, or None."""
    if prop == CUSTOM:
        return None
    if prop in NEVER_PROTECTED:
        return f"{prop} stays clear: the hub filters, checks ownership or decides access on it"
    if obj_type == ALL_TYPES:
        if prop in COMMON_REQUIRED:
            return f"{prop} is required by STIX 2.1 for every object"
        return None
    if prop in REQUIRED_PROPERTIES.get(obj_type, COMMON_REQUIRED):
        return f"{prop} is required by STIX 2.1 for {obj_type} and stays clear"
    return None


def _selectors(obj_type: str, extra: Mapping[str, Iterable[str]]) -> set[str]:
    out: set[str] = set()
    for table in (DEFAULT_PROTECTED, extra):
        out.update(table.get(ALL_TYPES, ()))
        out.update(table.get(obj_type, ()))
    return out


def protected_properties(
    obj: Mapping[str, Any], extra: Mapping[str, Iterable[str]] | None = None
) -> frozenset[str]:
    """The top-level properties of `obj` to seal: the defaults plus `extra` (a ``protect:``).

    Only properties present in `obj`; required and never-protected ones are left out whatever
    the selectors say (so a conditional requirement, e.g. a malware family's ``name``, wins).
    """
    obj_type = str(obj.get("type", ""))
    selectors = _selectors(obj_type, extra or {})
    names = {s for s in selectors if s != CUSTOM and s in obj}
    if CUSTOM in selectors:
        names.update(k for k in obj if k.startswith("x_"))
    keep = required_properties(obj_type, obj) | NEVER_PROTECTED
    return frozenset(names - keep)
