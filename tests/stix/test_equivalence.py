"""Equivalence proof: ``validate_object`` gives ``stix2.parse``'s verdict on a seeded corpus.

The corpus (``stix_corpus``, ``stix_mutations``) holds valid objects of every STIX 2.1 type and
thousands of mutations of them. For each object the verdict of ``stix2.parse(obj,
allow_custom=..., version="2.1")`` (any exception = invalid) must equal the hub's, except for
the mutations tagged with one of the differences listed in ``KNOWN_DIFFERENCES``: those must
differ exactly as documented, every one of them must occur, and no other difference may.

``version="2.1"`` is passed because the hub only takes STIX 2.1: without it ``stix2`` reads an
object that lacks ``spec_version`` as STIX 2.0.
"""

from __future__ import annotations

import copy
import warnings
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
import stix2
from stix_corpus import Factory, Obj
from stix_differences import CATALOG, CUSTOM_TYPE_MUTATIONS

from hub.stix import StixValidationError, hub_extension_ids, validate_object

SEED = 20261128
VALID_PER_TYPE = 12
MUTATIONS_PER_OBJECT = 5


@dataclass(frozen=True)
class KnownDifference:
    """Where stix2 and the hub disagree, why the specification sides with the hub."""

    id: str
    section: str
    stix2_accepts: bool
    hub_accepts: bool
    why: str


KNOWN_DIFFERENCES = (
    KnownDifference(
        "defaults",
        "§3.2, §4.7",
        True,
        False,
        "stix2 fills in a missing id, spec_version, created, modified (and an indicator's"
        " valid_from) with fresh values; the spec requires them in the serialized object.",
    ),
    KnownDifference(
        "null-or-empty",
        "§2.12, §3.2",
        True,
        False,
        "stix2 treats a property set to null or [] as absent (and accepts extensions {});"
        " empty lists MUST NOT be used and null is not a STIX value.",
    ),
    KnownDifference(
        "json-types",
        "§2 (JSON MTI of each type)",
        True,
        False,
        "stix2 coerces values: str() for strings, int('50'), booleans from 'true'/1,"
        " a lone string as a one-item list, JSON text for a marking definition.",
    ),
    KnownDifference(
        "lexical",
        "§2.1, §2.9, §2.16",
        True,
        False,
        "stix2 parses non-canonical spellings: strptime timestamps (1-digit fields,"
        " lower-case t/z), uuid.UUID forms (no hyphens, braces, urn:uuid:), lenient base64.",
    ),
    KnownDifference(
        "confidence-range",
        "§3.2 confidence",
        True,
        False,
        "stix2 has no bounds on confidence; the spec requires 0-100.",
    ),
    KnownDifference(
        "modified-before-created",
        "§3.2 modified",
        True,
        False,
        "stix2 does not compare modified with created; modified MUST be >= created.",
    ),
    KnownDifference(
        "custom-object-unchecked",
        "§7.3.2.2, §11.2",
        True,
        False,
        "stix2.parse returns objects of unregistered types unvalidated (with allow_custom, or"
        " with any extension-definition entry); the hub checks their common properties and"
        " requires extension_type new-sdo/new-sco/new-sro.",
    ),
    KnownDifference(
        "custom-property-names",
        "§3.1, §7.3.2.1, §11.1",
        True,
        False,
        "stix2 only asks a custom property name to start with a-z (and nothing of toplevel"
        " extension properties); names MUST be 3-250 characters of a-z, 0-9 and _.",
    ),
    KnownDifference(
        "selectors",
        "§7.2.3.1",
        False,
        True,
        "stix2 cannot select inside list items that are objects (external_references.[0]."
        "source_name) nor falsy values (confidence 0); both are valid selectors.",
    ),
    KnownDifference(
        "bundle",
        "§8",
        True,
        False,
        "stix2.parse accepts a bundle; a bundle is not a STIX object, so the hub refuses it"
        " where an object is expected.",
    ),
)
DIFFERENCES = {d.id: d for d in KNOWN_DIFFERENCES}


@dataclass
class Case:
    obj: Any
    allow_custom: bool
    tag: str
    origin: str


def build_corpus(seed: int = SEED) -> list[Case]:
    """Valid objects of every type, each followed by mutations of it; deterministic."""
    f = Factory(seed)
    cases: list[Case] = []
    makers = dict(f.makers)
    makers["my-favorite-sdo"] = f.new_sdo
    makers["x-acme-widget"] = f.custom_sdo
    for type_name, make in sorted(makers.items()):
        for _ in range(VALID_PER_TYPE):
            base = make()
            allow = type_name.startswith("x-") or f.r.random() < 0.3
            cases.append(Case(base, allow, "same", f"valid {type_name}"))
            custom_type = type_name not in stix2.v21.OBJ_MAP | stix2.v21.OBJ_MAP_OBSERVABLE
            order = list(CUSTOM_TYPE_MUTATIONS if custom_type else CATALOG)
            f.r.shuffle(order)
            done = 0
            for mutation in order:
                result = mutation.apply(f, copy.deepcopy(base))
                if result is None:
                    continue
                obj, allow_custom = result
                cases.append(Case(obj, allow_custom, mutation.tag, f"{mutation.name} {type_name}"))
                done += 1
                if done == MUTATIONS_PER_OBJECT:
                    break
    return cases


def stix2_verdict(obj: Any, allow_custom: bool) -> tuple[bool, Any]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = stix2.parse(copy.deepcopy(obj), allow_custom=allow_custom, version="2.1")
    except Exception:  # any stix2 exception means invalid
        return False, None
    return True, parsed


def hub_verdict(obj: Any, allow_custom: bool) -> tuple[bool, Any]:
    try:
        return True, validate_object(obj, allow_custom=allow_custom)
    except StixValidationError as exc:
        return False, exc


@pytest.fixture(scope="module")
def verdicts() -> list[tuple[Case, tuple[bool, Any], tuple[bool, Any]]]:
    corpus = build_corpus()
    return [
        (c, stix2_verdict(c.obj, c.allow_custom), hub_verdict(c.obj, c.allow_custom))
        for c in corpus
    ]


def test_corpus_is_large_and_covers_every_type(verdicts: list[Any]) -> None:
    assert len(verdicts) >= 2000
    valid_types = {c.obj["type"] for c, theirs, ours in verdicts if ours[0] and theirs[0]}
    invalid_types = {
        c.obj.get("type") for c, theirs, ours in verdicts if not ours[0] and not theirs[0]
    }
    expected = set(stix2.v21.OBJ_MAP) - {"bundle"} | set(stix2.v21.OBJ_MAP_OBSERVABLE)
    assert expected <= valid_types
    assert expected <= invalid_types
    assert sum(not ours[0] for _, _, ours in verdicts) > len(verdicts) // 3


def test_verdicts_equal_stix2_except_known_differences(verdicts: list[Any]) -> None:
    problems: list[str] = []
    seen: Counter[str] = Counter()
    for case, (theirs, _), (ours, detail) in verdicts:
        if case.tag == "same":
            if theirs != ours:
                problems.append(f"{case.origin}: stix2={theirs} hub={ours} ({detail}) {case.obj}")
            continue
        diff = DIFFERENCES[case.tag]
        seen[case.tag] += 1
        if (theirs, ours) != (diff.stix2_accepts, diff.hub_accepts):
            problems.append(
                f"{case.origin} [{case.tag}]: stix2={theirs} hub={ours} ({detail}) {case.obj}"
            )
    assert not problems, f"{len(problems)} unexpected verdicts:\n" + "\n".join(problems[:25])
    assert set(seen) == set(DIFFERENCES), "every documented difference must be exercised"


def test_object_info_agrees_with_stix2(verdicts: list[Any]) -> None:
    own_extensions = hub_extension_ids()
    for case, (theirs, parsed), (ours, info) in verdicts:
        if not (theirs and ours) or case.tag != "same":
            continue
        obj: Obj = case.obj
        assert info.id == obj["id"] and info.type == obj["type"]
        if isinstance(parsed, dict):  # stix2 returns unregistered custom types as dicts
            assert info.custom
            continue
        for name in ("created", "modified"):
            if name in obj:
                assert getattr(info, name) == parsed[name], (name, obj)
        uses_foreign_extension = any(
            k.startswith("extension-definition--") and k not in own_extensions
            for k in obj.get("extensions", {})
        )
        assert info.custom == (parsed.has_custom or uses_foreign_extension), obj
