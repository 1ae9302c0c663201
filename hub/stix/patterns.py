"""STIX Patterning (§9): grammar validation through ``stix2-patterns``, cached.

The ANTLR grammar costs about 270 µs a pattern, more than everything else an indicator needs, and
feeds re-publish the same patterns often; results (valid or not) are cached by pattern string in
a bounded LRU cache.
"""

from __future__ import annotations

from functools import _CacheInfo, lru_cache

from stix2patterns.validator import run_validator

from hub.stix.errors import StixValidationError

__all__ = [
    "PATTERN_CACHE_SIZE",
    "pattern_cache_clear",
    "pattern_cache_info",
    "pattern_error",
    "validate_pattern",
]

PATTERN_CACHE_SIZE = 8192


@lru_cache(maxsize=PATTERN_CACHE_SIZE)
def _grammar_error(pattern: str, grammar: str) -> str | None:
    try:
        errors: list[object] = run_validator(pattern, grammar)
    except Exception as exc:  # the grammar library itself fails on some inputs (e.g. "")
        return f"the pattern cannot be parsed ({type(exc).__name__})"
    if not errors:
        return None
    return " ".join(str(errors[0]).split())  # one line


def pattern_error(pattern: str, pattern_version: str = "2.1") -> str | None:
    """The first grammar error of a STIX pattern, or None if it is valid.

    As in ``stix2``, ``pattern_version`` "2.1" selects the STIX 2.1 grammar and any other value
    the STIX 2.0 grammar.
    """
    return _grammar_error(pattern, "2.1" if pattern_version == "2.1" else "2.0")


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
    return _grammar_error.cache_info()


def pattern_cache_clear() -> None:
    """Empty the pattern cache."""
    _grammar_error.cache_clear()
