"""validate_pattern: the STIX Patterning grammar (§9) behind a bounded cache."""

from __future__ import annotations

import pytest
from stix_corpus import INVALID_PATTERNS
from stix_corpus_sdo import VALID_PATTERNS

from hub.stix import (
    StixValidationError,
    pattern_cache_clear,
    pattern_cache_info,
    validate_pattern,
)
from hub.stix.patterns import PATTERN_CACHE_SIZE

MORE_VALID = (
    "[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']",
    "[ipv6-addr:value = '2001:db8::/32']",
    "[file:name = 'a'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
    "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
    "[artifact:payload_bin = b'YWJj']",
    "[file:name = 'a'] REPEATS 5 TIMES",
    "[file:name NOT = 'a']",
    "[file:size IN (1, 2)]",
    "[x-acme-thing:prop = 1]",
    "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
)
MORE_INVALID = (
    "[file:name = 'a' AND]",  # dangling operator
    "[file:name = 'a']]",  # unbalanced
    "[file:name 'a']",  # no operator
    "[file:name = 'a'] START '2016-06-01T00:00:00Z' STOP '2016-07-01T00:00:00Z'",  # t'' needed
    "[file:created = t'2020-13-01T00:00:00Z']",  # impossible timestamp
    "[file:hashes.MD5 = h'ab']",  # hex literal where a string is expected
    "EXISTS [file:name]",
    "[file:name = 'a'] WITHIN SECONDS",
)


@pytest.mark.parametrize("pattern", VALID_PATTERNS + MORE_VALID)
def test_valid_patterns(pattern: str) -> None:
    validate_pattern(pattern)


@pytest.mark.parametrize("pattern", INVALID_PATTERNS + MORE_INVALID)
def test_invalid_patterns(pattern: str) -> None:
    with pytest.raises(StixValidationError) as caught:
        validate_pattern(pattern)
    assert caught.value.prop == "pattern"
    assert caught.value.reason.startswith("property 'pattern' is not a valid STIX pattern")
    assert "\n" not in caught.value.reason


def test_other_pattern_languages_are_not_parsed() -> None:
    validate_pattern('alert tcp any any -> any 80 (msg:"x";)', "snort")
    validate_pattern("rule x { condition: true }", "yara")


def test_non_string_pattern() -> None:
    with pytest.raises(StixValidationError, match="must be a string"):
        validate_pattern(42)  # type: ignore[arg-type]


def test_results_are_cached_by_pattern() -> None:
    pattern_cache_clear()
    good, bad = "[mutex:name = 'cache-test']", "[mutex:name = ]"
    validate_pattern(good)
    validate_pattern(good)
    for _ in range(2):
        with pytest.raises(StixValidationError):
            validate_pattern(bad)
    info = pattern_cache_info()
    assert (info.hits, info.misses, info.currsize) == (2, 2, 2)
    assert info.maxsize == PATTERN_CACHE_SIZE
    validate_pattern(good, pattern_version="2.0")  # the STIX 2.0 grammar is a separate entry
    assert pattern_cache_info().misses == 3
