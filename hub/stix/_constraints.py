"""Co-constraints between properties of one object, as the ``stix2`` classes enforce them.

Each function is a ``Constraint``: ``check(obj, ctx, prefix)``, run after every property passed
its own checker (so values have the right types and ``ctx.times`` holds parsed timestamps).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hub.stix._checkers import Constraint, Ctx, at_least_one, exactly_one
from hub.stix.patterns import pattern_error
from hub.stix.tlp import TLP_DEFINITIONS

__all__ = [
    "all_of",
    "artifact",
    "email_message",
    "indicator",
    "location",
    "malware",
    "marking_definition",
    "network_traffic",
    "not_before",
    "observed_data",
    "process",
]


def all_of(*constraints: Constraint) -> Constraint:
    """Run several co-constraints in order."""

    def check(obj: dict[str, Any], ctx: Ctx, prefix: str) -> None:
        for constraint in constraints:
            constraint(obj, ctx, prefix)

    return check


def not_before(first: str, last: str, *, strictly: bool = False) -> Constraint:
    """``last`` is not earlier than ``first`` (later, if ``strictly``), when both are present."""
    relation = "later than" if strictly else "later than or equal to"

    def check(obj: dict[str, Any], ctx: Ctx, prefix: str) -> None:
        a = ctx.times.get(first)
        b = ctx.times.get(last)
        if a is not None and b is not None and (b <= a if strictly else b < a):
            ctx.fail(last, f"({obj[last]}) must be {relation} '{first}' ({obj[first]})")

    return check


def _pattern(obj: dict[str, Any], ctx: Ctx, prefix: str) -> None:
    """§4.7, §9: a pattern of pattern_type "stix" parses in the grammar of its pattern_version."""
    if obj.get("pattern_type") == "stix":
        error = pattern_error(obj["pattern"], obj.get("pattern_version") or "2.1")
        if error is not None:
            ctx.fail("pattern", f"is not a valid STIX pattern: {error}")


indicator = all_of(not_before("valid_from", "valid_until", strictly=True), _pattern)


def _malware_family(obj: dict[str, Any], ctx: Ctx, prefix: str) -> None:
    """§4.11: a malware family has a name."""
    if obj.get("is_family") is True and "name" not in obj:
        ctx.fail("name", "is required when 'is_family' is true")


malware = all_of(not_before("first_seen", "last_seen"), _malware_family)
observed_data = all_of(
    not_before("first_observed", "last_observed"), exactly_one("objects", "object_refs")
)


def location(obj: dict[str, Any], ctx: Ctx, prefix: str) -> None:
    """§4.10: precision needs latitude and longitude, which go together; and some place."""
    if "precision" in obj and not ("latitude" in obj and "longitude" in obj):
        ctx.fail("precision", "needs both 'latitude' and 'longitude'")
    if ("latitude" in obj) != ("longitude" in obj):
        ctx.fail("latitude" if "latitude" in obj else "longitude", "needs its pair")
    if not ("region" in obj or "country" in obj or "latitude" in obj):
        ctx.fail_object(
            prefix, "needs 'region', 'country', or 'latitude' and 'longitude'", "region"
        )


_TLP1 = {
    d["definition"]["tlp"]: (d["id"], datetime(2017, 1, 20, tzinfo=UTC))
    for d in TLP_DEFINITIONS
    if "definition" in d
}
_DEFINITION_KEYS = {"tlp": "tlp", "statement": "statement"}


def marking_definition(obj: dict[str, Any], ctx: Ctx, prefix: str) -> None:
    """§7.2.1: a definition of a known definition_type, or extensions; TLP 1.0 as published."""
    definition_type = obj.get("definition_type")
    definition = obj.get("definition")
    if definition is not None:
        if definition_type is None:
            ctx.fail("definition", "needs 'definition_type'")
        key = _DEFINITION_KEYS.get(definition_type)
        if key is None:
            ctx.fail("definition_type", f"({definition_type}) must be 'tlp' or 'statement'")
        if set(definition) != {key} or type(definition[key]) is not str:
            ctx.fail("definition", f'must be {{"{key}": <string>}} for a {key} marking')
    if not (definition_type and definition) and "extensions" not in obj:
        ctx.fail_object(
            prefix, "needs 'definition_type' and 'definition', or 'extensions'", "definition"
        )
    if definition_type == "tlp":
        if definition is None:
            ctx.fail("definition", "is required for a tlp marking")
        published = _TLP1.get(definition["tlp"])
        if published is None:
            ctx.fail("definition", f"({definition['tlp']!r}) is not a TLP 1.0 level")
        if obj["id"] != published[0] or ctx.times["created"] != published[1]:
            ctx.fail("id", "and 'created' of a TLP 1.0 marking must be those of §7.2.1.4")


def _artifact_url(obj: dict[str, Any], ctx: Ctx, prefix: str) -> None:
    if "url" in obj and "hashes" not in obj:
        ctx.fail("hashes", "is required when 'url' is present")


artifact = all_of(exactly_one("payload_bin", "url"), _artifact_url)


def email_message(obj: dict[str, Any], ctx: Ctx, prefix: str) -> None:
    """§6.6: body_multipart only if is_multipart, body only if not."""
    multipart = obj["is_multipart"]
    if multipart is False and "body_multipart" in obj:
        ctx.fail("body_multipart", "needs 'is_multipart' to be true")
    if multipart is True and obj.get("body"):
        ctx.fail("body", "must not be present when 'is_multipart' is true")


def _traffic(obj: dict[str, Any], ctx: Ctx, prefix: str) -> None:
    """§6.12 (as stix2 enforces it): an ended flow says is_active false; end not before start."""
    if "end" in obj and obj.get("is_active") is not False:
        ctx.fail("is_active", "must be false when 'end' is present")


network_traffic = all_of(at_least_one("src_ref", "dst_ref"), _traffic, not_before("start", "end"))

_PROCESS_PROPS = (
    "is_hidden",
    "pid",
    "created_time",
    "cwd",
    "command_line",
    "environment_variables",
    "opened_connection_refs",
    "creator_user_ref",
    "image_ref",
    "parent_ref",
    "child_refs",
    "object_marking_refs",
    "granular_markings",
)
_process_props = at_least_one(*_PROCESS_PROPS)


def process(obj: dict[str, Any], ctx: Ctx, prefix: str) -> None:
    """§6.13: a process has at least one property of its own or an extension."""
    if "extensions" not in obj:
        _process_props(obj, ctx, prefix)
