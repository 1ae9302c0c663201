"""Property checkers: one small function per STIX 2.1 data type (§2), composed into tables.

A checker is called as ``check(value, ctx, path)`` and returns nothing; it raises
:class:`StixValidationError` (through ``ctx.fail``) with a one-line reason naming ``path``. The
rules are those of the ``stix2`` library's property classes, except that JSON types are taken as
they are (no ``str()``/``int()`` coercion) and lexical forms must be canonical (§2.1, §2.9,
§2.16): see ``tests/stix/test_equivalence.py`` for the documented differences.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

from hub.stix.errors import StixValidationError
from hub.stix.identifiers import PROPERTY_NAME, RefSpec, id_type, is_custom_type, ref_type_error
from hub.stix.timestamps import timestamp_or_none
from hub.stix.vocab import HASHING_ALGORITHM

__all__ = [
    "BINARY",
    "BOOLEAN",
    "DICTIONARY",
    "HEX",
    "SELECTOR",
    "STRING",
    "TIMESTAMP",
    "Checker",
    "Ctx",
    "Schema",
    "at_least_one",
    "check_object",
    "custom_property",
    "embedded",
    "enum",
    "exactly_one",
    "hashes",
    "integer",
    "list_of",
    "number",
    "ref",
    "show",
]


class Ctx:
    """What a validation run knows: the object's type, the custom policy and what it found."""

    __slots__ = ("allow_custom", "custom", "times", "type")

    def __init__(self, type_name: str, allow_custom: bool) -> None:
        self.type = type_name
        self.allow_custom = allow_custom
        self.custom = False
        self.times: dict[str, datetime] = {}

    def fail(self, path: str, message: str) -> NoReturn:
        raise StixValidationError(f"{self.type} property '{path}' {message}", prop=path)

    def fail_object(self, prefix: str, message: str, prop: str) -> NoReturn:
        """A rule about several properties of the object (or of the embedded one at prefix)."""
        if prefix:
            self.fail(prefix, message)
        raise StixValidationError(f"{self.type} {message}", prop=prop)


Checker = Callable[[Any, Ctx, str], None]
Constraint = Callable[[dict[str, Any], Ctx, str], None]


@dataclass(frozen=True, slots=True)
class Schema:
    """The properties of an object or embedded type: checkers, required names, co-constraints."""

    props: dict[str, Checker]
    required: frozenset[str] = frozenset()
    constraint: Constraint | None = None


_MEMO_SIZE = 8192
_ref_memo: dict[tuple[str, int, bool], tuple[str | None, bool]] = {}
_rule_numbers = itertools.count()


def show(value: object) -> str:
    """A short repr of a value for an error message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def STRING(v: Any, ctx: Ctx, path: str) -> None:
    if type(v) is not str:
        ctx.fail(path, f"must be a string, not {show(v)}")


def BOOLEAN(v: Any, ctx: Ctx, path: str) -> None:
    if v is not True and v is not False:
        ctx.fail(path, f"must be true or false, not {show(v)}")


def TIMESTAMP(v: Any, ctx: Ctx, path: str) -> None:
    dt = timestamp_or_none(v)
    if dt is None:
        ctx.fail(path, f"({show(v)}) is not a STIX timestamp like 2026-11-28T17:30:00.000Z")
    ctx.times[path] = dt


def _range(lo: float | None, hi: float | None) -> str:
    if hi is None:
        return f"must be at least {lo}"
    if lo is None:
        return f"must be at most {hi}"
    return f"must be between {lo} and {hi}"


def integer(lo: int | None = None, hi: int | None = None) -> Checker:
    """§2.10: a JSON integer (not a boolean, not a float), optionally bounded."""

    def check(v: Any, ctx: Ctx, path: str) -> None:
        if type(v) is not int:
            ctx.fail(path, f"must be an integer, not {show(v)}")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            ctx.fail(path, f"({v}) {_range(lo, hi)}")

    return check


def number(lo: float | None = None, hi: float | None = None) -> Checker:
    """§2.6: a finite JSON number, optionally bounded."""

    def check(v: Any, ctx: Ctx, path: str) -> None:
        if type(v) not in (int, float) or not math.isfinite(v):
            ctx.fail(path, f"must be a number, not {show(v)}")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            ctx.fail(path, f"({v}) {_range(lo, hi)}")

    return check


def enum(values: Collection[str]) -> Checker:
    """§2.4: one of the values of a closed enumeration."""

    def check(v: Any, ctx: Ctx, path: str) -> None:
        if type(v) is not str or v not in values:
            ctx.fail(path, f"({show(v)}) must be one of: {', '.join(sorted(values))}")

    return check


def list_of(item: Checker) -> Checker:
    """§2.12: a non-empty JSON array whose items all pass ``item``."""

    def check(v: Any, ctx: Ctx, path: str) -> None:
        if type(v) is not list:
            ctx.fail(path, f"must be a list, not {show(v)}")
        if not v:
            ctx.fail(path, "must not be an empty list (omit the property instead)")
        if item is STRING:
            for x in v:
                if type(x) is not str:
                    break
            else:
                return
        for i, x in enumerate(v):
            item(x, ctx, f"{path}[{i}]")

    return check


def ref(spec: RefSpec) -> Checker:
    """§2.9, §3.3: an identifier of an object of the types ``spec`` allows.

    Verdicts are memoised per identifier (feeds repeat the same identities and markings).
    """
    rule = next(_rule_numbers)

    def verdict(v: str, allow_custom: bool) -> tuple[str | None, bool]:
        t = id_type(v)
        if t is None:
            return f"({show(v)}) is not a STIX identifier like <type>--<UUID>", False
        return ref_type_error(t, spec, allow_custom), is_custom_type(t)

    def check(v: Any, ctx: Ctx, path: str) -> None:
        if type(v) is not str:
            ctx.fail(path, f"must be a STIX identifier string, not {show(v)}")
        key = (v, rule, ctx.allow_custom)
        found = _ref_memo.get(key)
        if found is None:
            if len(_ref_memo) >= _MEMO_SIZE:
                _ref_memo.clear()
            found = _ref_memo[key] = verdict(v, ctx.allow_custom)
        if found[0] is not None:
            ctx.fail(path, found[0])
        if found[1]:
            ctx.custom = True

    return check


_DICT_KEY = re.compile(r"[a-zA-Z0-9_-]{1,250}", re.ASCII)


def DICTIONARY(v: Any, ctx: Ctx, path: str) -> None:
    """§2.3: a non-empty JSON object with ASCII keys of a-z, A-Z, 0-9, - and _ (at most 250)."""
    if type(v) is not dict:
        ctx.fail(path, f"must be a dictionary, not {show(v)}")
    if not v:
        ctx.fail(path, "must not be an empty dictionary")
    for key in v:
        if type(key) is not str or _DICT_KEY.fullmatch(key) is None:
            ctx.fail(path, f"has an invalid key {show(key)} (a-z, A-Z, 0-9, '-', '_'; max 250)")


# The hash algorithms stix2 recognises (by name without hyphens, upper-cased), with the regex it
# checks values against and the hash-algorithm-ov name (§10.7) if the vocabulary has one.
_HASH_RULES: dict[str, tuple[re.Pattern[str], str | None]] = {
    name: (re.compile(rx, re.I), spec)
    for name, rx, spec in (
        ("MD5", r"^[a-f0-9]{32}$", "MD5"),
        (
            "MD6",
            r"^[a-f0-9]{32}|[a-f0-9]{40}|[a-f0-9]{56}|[a-f0-9]{64}|[a-f0-9]{96}|[a-f0-9]{128}$",
            None,
        ),
        ("RIPEMD160", r"^[a-f0-9]{40}$", None),
        ("SHA1", r"^[a-f0-9]{40}$", "SHA-1"),
        ("SHA224", r"^[a-f0-9]{56}$", None),
        ("SHA256", r"^[a-f0-9]{64}$", "SHA-256"),
        ("SHA384", r"^[a-f0-9]{96}$", None),
        ("SHA512", r"^[a-f0-9]{128}$", "SHA-512"),
        ("SHA3224", r"^[a-f0-9]{56}$", None),
        ("SHA3256", r"^[a-f0-9]{64}$", "SHA3-256"),
        ("SHA3384", r"^[a-f0-9]{96}$", None),
        ("SHA3512", r"^[a-f0-9]{128}$", "SHA3-512"),
        ("SSDEEP", r"^[a-z0-9/+:.]{1,128}$", "SSDEEP"),
        ("WHIRLPOOL", r"^[a-f0-9]{128}$", None),
        ("TLSH", r"^[a-f0-9]{70}$", "TLSH"),
    )
}


def hashes(vocabulary_only: bool = False) -> Checker:
    """§2.7: a dictionary of hash values keyed by algorithm.

    As in ``stix2``, an algorithm is recognised case- and hyphen-insensitively and its value must
    then look like such a hash; names outside hash-algorithm-ov are custom content. With
    ``vocabulary_only`` (external references, §2.5) only hash-algorithm-ov names are allowed.
    """

    def check(v: Any, ctx: Ctx, path: str) -> None:
        DICTIONARY(v, ctx, path)
        for key, value in v.items():
            rule = _HASH_RULES.get(key.replace("-", "").upper())
            name: str | None = key if key in HASHING_ALGORITHM else None
            if rule is not None:
                if type(value) is not str or rule[0].match(value) is None:
                    ctx.fail(f"{path}.{key}", f"({show(value)}) is not a valid {key} hash")
                name = rule[1]
            elif type(value) is not str:
                ctx.fail(f"{path}.{key}", f"must be a string, not {show(value)}")
            if name is None:
                if vocabulary_only:
                    ctx.fail(path, f"has {show(key)}, which is not in hash-algorithm-ov")
                if not ctx.allow_custom:
                    ctx.fail(path, f"has custom hash algorithm {show(key)} (needs allow_custom)")
                ctx.custom = True

    return check


_HEX = re.compile(r"(?:[a-fA-F0-9]{2})+", re.ASCII)
_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?", re.ASCII)
_SELECTOR = re.compile(r"[a-z0-9_-]{3,250}(?:\.(?:\[\d+\]|[a-z0-9_-]{1,250}))*|id", re.ASCII)


def HEX(v: Any, ctx: Ctx, path: str) -> None:
    """§2.8: an even number of hexadecimal digits."""
    if type(v) is not str or _HEX.fullmatch(v) is None:
        ctx.fail(path, f"({show(v)}) must be an even number of hexadecimal digits")


def BINARY(v: Any, ctx: Ctx, path: str) -> None:
    """§2.1: base64 (RFC 4648 §4) with padding."""
    if type(v) is not str or _BASE64.fullmatch(v) is None:
        ctx.fail(path, f"({show(v)}) must be base64-encoded binary")


def SELECTOR(v: Any, ctx: Ctx, path: str) -> None:
    """§7.2.3.1: a selector: property names, dictionary keys and [index] joined by dots."""
    if type(v) is not str or _SELECTOR.fullmatch(v) is None:
        ctx.fail(path, f"({show(v)}) is not a selector like 'description' or 'labels.[0]'")


def custom_property(name: str, value: Any, ctx: Ctx, path: str) -> None:
    """A property STIX does not define: allowed only as custom content (§11.1) by policy."""
    if not ctx.allow_custom:
        ctx.fail(path, "is not defined by STIX 2.1 (custom properties need allow_custom)")
    if type(name) is not str or PROPERTY_NAME.fullmatch(name) is None:
        ctx.fail(path, "is not a valid custom property name (a-z first, a-z 0-9 _, 3-250 long)")
    if value is None or value == []:
        ctx.fail(path, "must not be null or an empty list")
    ctx.custom = True


def check_object(schema: Schema, obj: dict[str, Any], ctx: Ctx, prefix: str) -> None:
    """Check an embedded object (external reference, extension, ...) against its schema."""
    props = schema.props
    for key, value in obj.items():
        path = f"{prefix}.{key}"
        checker = props.get(key)
        if checker is None:
            custom_property(key, value, ctx, path)
        elif value is None:
            ctx.fail(path, "must not be null")
        else:
            checker(value, ctx, path)
    for key in schema.required:
        if key not in obj:
            ctx.fail(f"{prefix}.{key}", "is required")
    if schema.constraint is not None:
        schema.constraint(obj, ctx, prefix)


def at_least_one(*names: str) -> Constraint:
    """A co-constraint: at least one of ``names`` is present."""
    listed = ", ".join(f"'{n}'" for n in names)

    def check(obj: dict[str, Any], ctx: Ctx, prefix: str) -> None:
        for name in names:
            if name in obj:
                return
        ctx.fail_object(prefix, f"needs at least one of the properties {listed}", names[0])

    return check


def exactly_one(*names: str) -> Constraint:
    """A co-constraint: exactly one of ``names`` is present."""
    listed = ", ".join(f"'{n}'" for n in names)

    def check(obj: dict[str, Any], ctx: Ctx, prefix: str) -> None:
        if sum(name in obj for name in names) != 1:
            ctx.fail_object(prefix, f"needs exactly one of the properties {listed}", names[0])

    return check


def embedded(schema: Schema) -> Checker:
    """A JSON object of an embedded type, checked against ``schema``."""

    def check(v: Any, ctx: Ctx, path: str) -> None:
        if type(v) is not dict:
            ctx.fail(path, f"must be a JSON object, not {show(v)}")
        check_object(schema, v, ctx, path)

    return check
