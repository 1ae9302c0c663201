"""Factories of STIX objects for tests: deterministic ids from a counter, valid by default."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from hub.demo.generate import TLP_AMBER, TLP_CLEAR, TLP_GREEN, TLP_RED

TLP = {"clear": TLP_CLEAR, "green": TLP_GREEN, "amber": TLP_AMBER, "red": TLP_RED}
_counter = itertools.count(1)


def new_id(kind: str) -> str:
    """A fresh, deterministic-looking STIX id (version-4 UUID)."""
    n = next(_counter)
    return f"{kind}--{uuid.UUID(int=(0x1234 << 112) | n, version=4)}"


def indicator(
    identity: str,
    *,
    tlp: str | None = "clear",
    modified: str = "2026-11-01T10:00:00.000Z",
    created: str = "2026-11-01T10:00:00.000Z",
    object_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A valid indicator published by `identity` with the given TLP (None: no marking)."""
    n = next(_counter)
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": object_id or new_id("indicator"),
        "created": created,
        "modified": modified,
        "created_by_ref": identity,
        "name": f"C2 server {n}",
        "indicator_types": ["malicious-activity"],
        "pattern": f"[ipv4-addr:value = '198.51.100.{n % 250 + 1}']",
        "pattern_type": "stix",
        "valid_from": created,
        "confidence": 80,
    }
    if tlp:
        obj["object_marking_refs"] = [TLP[tlp]]
    obj.update(extra)
    return obj


def malware(identity: str, *, tlp: str = "clear", **extra: Any) -> dict[str, Any]:
    """A valid malware family published by `identity`."""
    obj: dict[str, Any] = {
        "type": "malware",
        "spec_version": "2.1",
        "id": new_id("malware"),
        "created": "2026-10-01T08:00:00.000Z",
        "modified": "2026-10-01T08:00:00.000Z",
        "created_by_ref": identity,
        "name": "DesertWind loader",
        "is_family": True,
        "malware_types": ["remote-access-trojan"],
        "object_marking_refs": [TLP[tlp]],
    }
    obj.update(extra)
    return obj


def relationship(
    identity: str, source_ref: str, target_ref: str, *, tlp: str = "green", **extra: Any
) -> dict[str, Any]:
    """A valid `indicates` relationship published by `identity`."""
    obj: dict[str, Any] = {
        "type": "relationship",
        "spec_version": "2.1",
        "id": new_id("relationship"),
        "created": "2026-11-02T09:00:00.000Z",
        "modified": "2026-11-02T09:00:00.000Z",
        "created_by_ref": identity,
        "relationship_type": "indicates",
        "source_ref": source_ref,
        "target_ref": target_ref,
        "object_marking_refs": [TLP[tlp]],
    }
    obj.update(extra)
    return obj
