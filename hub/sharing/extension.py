"""The hub's TLP:RED recipients extension (STIX 2.1 §7.3 property extension).

FIRST TLP 2.0 restricts TLP:RED to "individual recipients"; STIX 2.1 has no property that names
them, so the hub defines one: an object carrying TLP:RED content (as its object marking or in a
granular marking, §7.2.3) names who may receive it in

    "extensions": {
      "extension-definition--a5302270-d6f9-4551-ac93-4deea2d3079c": {
        "extension_type": "property-extension",
        "recipient_refs": ["identity--…", …]
      }
    }

The ids are the STIX identities of tenants (``tenants/<slug>.yaml`` ``identity_id``). No sharing
rule can add a recipient to this list; a rule can only keep a named recipient out. The hub
serves the extension definition below, published by the hub operator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "RED_RECIPIENTS_EXTENSION_ID",
    "red_recipients",
    "red_recipients_extension_definition",
    "red_recipients_problem",
]

RED_RECIPIENTS_EXTENSION_ID = "extension-definition--a5302270-d6f9-4551-ac93-4deea2d3079c"
_TIMESTAMP = "2026-01-01T00:00:00.000Z"
_TLP_CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
_SCHEMA = (
    "Fusion Hub TLP:RED recipients. A property extension whose one property, recipient_refs "
    "(list of identifier, type identity, required, not empty), names the organisations that "
    "may receive the TLP:RED content of the object (FIRST TLP 2.0: individual recipients). "
    "Recipients not named receive neither the object, if it is marked TLP:RED, nor any part "
    "of it a granular marking marks TLP:RED. The hub shows this list only to the recipients "
    "it names."
)


def red_recipients_extension_definition(operator_identity_id: str) -> dict[str, Any]:
    """The extension-definition object (§7.3.1) the hub publishes as `operator_identity_id`."""
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": RED_RECIPIENTS_EXTENSION_ID,
        "created_by_ref": operator_identity_id,
        "created": _TIMESTAMP,
        "modified": _TIMESTAMP,
        "name": "Fusion Hub TLP:RED recipients",
        "description": "Names the individual recipients of an object's TLP:RED content.",
        "schema": _SCHEMA,
        "version": "1.0.0",
        "extension_types": ["property-extension"],
        "object_marking_refs": [_TLP_CLEAR],
    }


def red_recipients_problem(obj: Mapping[str, Any]) -> str | None:
    """What is wrong with the object's use of the extension, or None (also if it is absent)."""
    extensions = obj.get("extensions")
    if not isinstance(extensions, dict) or RED_RECIPIENTS_EXTENSION_ID not in extensions:
        return None
    ext = extensions[RED_RECIPIENTS_EXTENSION_ID]
    if not isinstance(ext, dict) or ext.get("extension_type") != "property-extension":
        return "the TLP:RED recipients extension must be a property-extension"
    refs = ext.get("recipient_refs")
    if not isinstance(refs, list) or not refs:
        return "recipient_refs must be a non-empty list of identity ids"
    if any(not isinstance(r, str) or not r.startswith("identity--") for r in refs):
        return "recipient_refs must list identity ids only"
    if set(ext) - {"extension_type", "recipient_refs"}:
        return "the TLP:RED recipients extension has only the property recipient_refs"
    return None


def red_recipients(obj: Mapping[str, Any]) -> frozenset[str]:
    """The identity ids the object names for its TLP:RED content; empty if none or malformed.

    A malformed extension names nobody: TLP:RED content then reaches no one but the publisher.
    """
    if red_recipients_problem(obj) is not None:
        return frozenset()
    extensions = obj.get("extensions")
    if not isinstance(extensions, dict) or RED_RECIPIENTS_EXTENSION_ID not in extensions:
        return frozenset()
    return frozenset(extensions[RED_RECIPIENTS_EXTENSION_ID]["recipient_refs"])
