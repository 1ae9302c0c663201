"""STIX Patterning (§9): the verdict of the ``stix2-patterns`` grammar, mostly without it.

The ANTLR grammar costs 270-700 µs a pattern, more than everything else an indicator needs.
``hub.stix._fast_pattern`` answers for STIX 2.1 patterns in a few µs and says when it is not
sure; the grammar decides the rest and writes the error message of every refused pattern, so
``pattern_error`` gives exactly the grammar path's verdict (``tests/stix/test_stix_fast_pattern``
checks that on a seeded corpus). Results (valid or not) are cached by pattern string in a
bounded LRU cache, as feeds re-publish the same patterns often.
"""

from __future__ import annotations

from functools import _CacheInfo, lru_cache

from stix2patterns.validator import run_validator

from hub.stix._fast_pattern import fast_verdict
from hub.stix.errors import StixValidationError

__all__ = [
    "PATTERN_CACHE_SIZE",
    "grammar_error",
    "pattern_cache_clear",
    "pattern_cache_info",
    "pattern_error",
    "validate_pattern",
]

PATTERN_CACHE_SIZE = 8192


def grammar_error(pattern: str, grammar: str = "2.1") -> str | None:
    """The first error ``stix2-patterns`` finds in a pattern ("2.1" or "2.0" grammar), or None
    if it finds none; not cached. The reference ``pattern_error`` agrees with."""
    try:
        errors: list[object] = run_validator(pattern, grammar)
    except Exception as exc:  # the grammar library itself fails on some inputs (e.g. "")
        return f"the pattern cannot be parsed ({type(exc).__name__})"
    if not errors:
        return None
    return " ".join(str(errors[0]).split())  # one line


@lru_cache(maxsize=PATTERN_CACHE_SIZE)
def _pattern_error(pattern: str, grammar: str) -> str | None:
    if grammar == "2.1" and type(pattern) is str and fast_verdict(pattern) is True:
        return None
    return grammar_error(pattern, grammar)  # refused, unsure, or STIX 2.0


def pattern_error(pattern: str, pattern_version: str = "2.1") -> str | None:
    """The first grammar error of a STIX pattern, or None if it is valid.

    As in ``stix2``, ``pattern_version`` "2.1" selects the STIX 2.1 grammar and any other value
    the STIX 2.0 grammar.
    """
    return _pattern_error(pattern, "2.1" if pattern_version == "2.1" else "2.0")


def validate_pattern(
    pattern: str, pattern_type: str = "stix", *, pattern_version: str = "2.1"
) -> None:
    """Check a pattern of an indicator (§4.7, §9); only ``pattern_type`` "stix" has a grammar.

    Raises StixValidationError naming the property ``pattern`` if the pattern does not parse.
    """
    if pattern_type != "stix":
        return
    if type(pattern) is not str:
        raise StixValidationError("property 'pattern' must be a string", prop="pattern")
    error = pattern_error(pattern, pattern_version)
    if error is not None:
        raise StixValidationError(
            f"property 'pattern' is not a valid STIX pattern: {error}", prop="pattern"
        )


def pattern_cache_info() -> _CacheInfo:
    """Hits, misses and size of the pattern cache (for metrics and tests)."""
    return _pattern_error.cache_info()


def pattern_cache_clear() -> None:
    """Empty the pattern cache."""
    _pattern_error.cache_clear()
