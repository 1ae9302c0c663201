"""Factories for sharing tests: parties from the example tenants, objects, small policies."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from hub.sharing.context import ObjectContext, object_context
from hub.sharing.decision import Decision
from hub.sharing.engine import decide
from hub.sharing.extension import RED_RECIPIENTS_EXTENSION_ID
from hub.sharing.floor import Party
from hub.sharing.loader import load_policies
from hub.sharing.policy import Policy
from hub.stix.tlp import TLP_MARKING_IDS
from hub.tenancy.loader import TenantDirectory, load_directory

REPO = Path(__file__).resolve().parents[2]
TENANTS = REPO / "tenants"
POLICIES = REPO / "policies"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
TLP = {level: mid for mid, level in reversed(list(TLP_MARKING_IDS.items()))}  # TLP 2.0 ids
TLP_WHITE = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
_ids = itertools.count(1)


@cache
def directory() -> TenantDirectory:
    """The example tenants directory."""
    return load_directory(TENANTS)


@cache
def parties() -> dict[str, Party]:
    """Every example tenant as a Party (tenant ids by sorted slug)."""
    return {
        t.slug: Party(n, t.slug, t.kind, frozenset(t.communities), t.identity_id)
        for n, t in enumerate(sorted(directory().tenants, key=lambda t: t.slug), start=1)
    }


@cache
def example_policies() -> dict[str, Policy]:
    """The example policies, validated against the example tenants."""
    return load_policies(POLICIES, directory())


def party(slug: str) -> Party:
    """The example tenant `slug`."""
    return parties()[slug]


def new_id(kind: str) -> str:
    """A fresh version-4 STIX id."""
    return f"{kind}--{uuid.UUID(int=(0x5A << 112) | next(_ids), version=4)}"


def sdo(
    kind: str = "indicator",
    *,
    publisher: str = "ml-cnlt",
    tlp: str | None = "amber",
    red_for: tuple[str, ...] = (),
    granular: dict[str, list[str]] | None = None,
    stamp: str = "2026-11-01T10:00:00.000Z",
    **props: Any,
) -> dict[str, Any]:
    """A valid SDO/SRO of `publisher`; `tlp` None: unmarked; `red_for`: RED recipient slugs."""
    obj: dict[str, Any] = {
        "type": kind,
        "spec_version": "2.1",
        "id": new_id(kind),
        "created_by_ref": party(publisher).identity_id,
        "created": stamp,
        "modified": stamp,
    }
    if kind == "indicator":
        obj |= {
            "name": "C2 server",
            "description": "Beacon seen at the border post.",
            "pattern": "[ipv4-addr:value = '198.51.100.7']",
            "pattern_type": "stix",
            "valid_from": stamp,
            "labels": ["terrorism"],
            "confidence": 70,
            "external_references": [
                {"source_name": "ml-cnlt-case-management", "external_id": "ML-CT-2026-001"},
                {"source_name": "vendor", "url": "https://example.org/r/1", "description": "r"},
            ],
        }
    elif kind in ("threat-actor", "intrusion-set", "campaign", "attack-pattern"):
        obj["name"] = "Sahel Desert Brigade"
    if tlp == "white":
        obj["object_marking_refs"] = [TLP_WHITE]
    elif tlp is not None:
        obj["object_marking_refs"] = [TLP[tlp]]
    if granular:
        obj["granular_markings"] = [
            {"marking_ref": TLP[level], "selectors": sels} for level, sels in granular.items()
        ]
    if red_for:
        ids = [party(s).identity_id for s in red_for]
        ext = {"extension_type": "property-extension", "recipient_refs": ids}
        obj["extensions"] = {RED_RECIPIENTS_EXTENSION_ID: ext}
    obj.update(props)
    return obj


def relationship(source: str, target: str, rel: str = "indicates", **kw: Any) -> dict[str, Any]:
    """A relationship between two ids."""
    return sdo("relationship", relationship_type=rel, source_ref=source, target_ref=target, **kw)


def sighting(of: str, where: list[str] | None = None, **kw: Any) -> dict[str, Any]:
    """A sighting of `of`, optionally where sighted."""
    extra: dict[str, Any] = {"sighting_of_ref": of}
    if where:
        extra["where_sighted_refs"] = where
    return sdo("sighting", **extra, **kw)


def policy(*rules: dict[str, Any], tenant: str = "ml-cnlt", **kw: Any) -> Policy:
    """A policy of `tenant` with `rules` (dicts as in YAML)."""
    return Policy.model_validate({"tenant": tenant, "rules": list(rules), **kw})


def share(name: str = "r", recipients: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    """A share rule (default recipients: the sahel community)."""
    return {
        "name": name,
        "effect": "share",
        "recipients": recipients or {"communities": ["sahel"]},
    } | kw


def ctx(obj: dict[str, Any], collection: str = "shared-exchange") -> ObjectContext:
    """The object's context at NOW."""
    return object_context(obj, collection=collection, now=NOW)


def verdict(
    obj: dict[str, Any],
    pol: Policy,
    to: str,
    *,
    collection: str = "shared-exchange",
) -> Decision:
    """The decision for recipient `to` of `obj` published by the policy's tenant."""
    return decide(obj, ctx(obj, collection), pol, party(pol.tenant), party(to))
