"""Traffic Light Protocol markings: TLP 1.0 (STIX 2.1 §7.2.1.4) and TLP 2.0.

TLP 2.0 is published by OASIS as marking-definition objects that use the extension
``extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d`` (cti-stix-common-objects,
``extension-definition-specifications/tlp-2.0``). TLP 1.0 WHITE maps to TLP 2.0 CLEAR; the other
TLP 1.0 levels keep their names. An object's level is the most restrictive TLP marking among its
``object_marking_refs`` (§7.2.2).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = [
    "TLP2_EXTENSION_ID",
    "TLP_DEFINITIONS",
    "TLP_MARKING_IDS",
    "TLP_ORDER",
    "tlp_level",
]

TLP_ORDER: tuple[str, ...] = ("clear", "green", "amber", "amber+strict", "red")
TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

_TLP2 = (
    ("clear", "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR"),
    ("green", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN"),
    ("amber", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER"),
    (
        "amber+strict",
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        "TLP:AMBER+STRICT",
    ),
    ("red", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED"),
)
_TLP1 = (
    ("white", "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "TLP:WHITE"),
    ("green", "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "TLP:GREEN"),
    ("amber", "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "TLP:AMBER"),
    ("red", "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "TLP:RED"),
)

#: marking-definition id -> TLP level, for TLP 2.0 and TLP 1.0 (white is read as "clear").
TLP_MARKING_IDS: dict[str, str] = {mid: level for level, mid, _ in _TLP2}
TLP_MARKING_IDS.update({mid: "clear" if c == "white" else c for c, mid, _ in _TLP1})

#: The marking-definition objects exactly as published: TLP 2.0 (OASIS), then TLP 1.0 (§7.2.1.4).
TLP_DEFINITIONS: list[dict[str, Any]] = [
    {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": mid,
        "created": "2022-10-01T00:00:00.000Z",
        "name": name,
        "extensions": {
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level}
        },
    }
    for level, mid, name in _TLP2
] + [
    {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": mid,
        "created": "2017-01-20T00:00:00.000Z",
        "definition_type": "tlp",
        "name": name,
        "definition": {"tlp": colour},
    }
    for colour, mid, name in _TLP1
]

_RANK = {level: rank for rank, level in enumerate(TLP_ORDER)}


def tlp_level(marking_refs: Iterable[object]) -> str | None:
    """The most restrictive TLP level among marking-definition ids, or None if there is none."""
    best: str | None = None
    for ref in marking_refs:
        level = TLP_MARKING_IDS.get(ref) if type(ref) is str else None
        if level is not None and (best is None or _RANK[level] > _RANK[best]):
            best = level
    return best
