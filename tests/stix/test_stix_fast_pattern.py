"""Equivalence proof: the fast STIX 2.1 pattern path gives the grammar path's verdict.

``hub.stix._fast_pattern.fast_verdict`` says True (valid), False (invalid) or None (not sure:
the grammar decides); whenever it says True or False, ``grammar_error(p, "2.1") is None`` (the
``stix2-patterns`` grammar, with ``run_validator``'s checks, as ``pattern_error`` called it
before the fast path) must say the same. The corpus (``stix_pattern_corpus``) is seeded: the
``stix2-patterns`` test cases and specification examples, realistic patterns of every
``hub.demo.generate`` shape, patterns generated from the grammar with and without wrong
pieces, and mutations of all of these; ``corpus(n)`` is a prefix of ``corpus(m)`` for 100 <= n < m.

This module checks the first 5,000 patterns (about 5 s, nearly all of it in the grammar). The
full proof is a script (under 2 minutes)::

    python -m tests.stix.stix_pattern_corpus --count 100000

Last run (seed 20261201): 100,000 patterns, 0 disagreements, 108 s on a shared 2-core VM.

    source       valid  invalid  deferred to the grammar
    seed            62       34        3  (comments)
    realistic   29,873        0        0
    generated   18,923   11,142      201  (0.7%: 114 "/" or comments, 59 too deep, 28 long index)
    mutated     11,420   28,546    1,024  (2.5%: 1,014 "/" or comments, 6 too deep, 4 long index)

Realistic shapes (``make_pattern``): fast path 3-14 µs a pattern, 7 µs on average; the grammar
255-790 µs, 490 µs on average (about 70 times as long).
"""

from __future__ import annotations

import pytest
from stix_pattern_corpus import SEED, check, corpus

from hub.stix import StixValidationError, pattern_cache_clear, validate_pattern
from hub.stix import patterns as patterns_module
from hub.stix._fast_pattern import MAX_TREE_DEPTH, fast_verdict
from hub.stix.patterns import grammar_error, pattern_error

CORPUS_SIZE = 5_000
T1, T2 = "t'2020-01-01T00:00:00Z'", "t'2020-01-02T00:00:00.5Z'"

CASES = (  # (pattern, fast verdict); the grammar must agree with every True and False
    ("[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']", True),
    ("[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879']", False),  # 31 digits
    ("[file:hashes.'SHA-256' IN ('a', 'b')]", False),  # the set text is checked as a hash
    ("[file:hashes.x_custom = 'anything']", True),  # no rule for that hash name
    ("[file:hashes[*] = 'x']", True),
    ("[file:hashes[0] = 'x']", False),  # the inspector crashes on an int last step
    ("[EXISTS file:hashes[0]]", True),  # ... of a comparison only
    ("[file:x[-1] = 1]", False),  # ... and on any negative index
    ("[file:x[+1] = 1]", True),
    ("[a:b = 1] WITHIN 5 SECONDS WITHIN 6 SECONDS", False),  # duplicate qualifier type
    ("([a:b = 1]) WITHIN 5 SECONDS WITHIN 6 SECONDS", True),  # not checked on ( ... )
    (f"[a:b = 1] WITHIN 5 SECONDS REPEATS 2 TIMES START {T1} STOP {T2}", True),
    ("[a:b = 1] WITHIN .5 SECONDS", True),
    ("[a:b = 1] WITHIN 5. SECONDS", False),
    ("[a:b = 1] REPEATS 2.0 TIMES", False),
    ("[a:b = 1] within 5 seconds", False),  # keywords are upper case
    ("[a:b = t'2020-02-31T23:59:60.5Z']", True),  # the grammar's timestamp is lexical only
    ("[a:b = t'2020-13-01T00:00:00Z']", False),
    ("[a:b = b'YQ==' AND a:c = h'' AND a:d = true AND a:e = -.5]", True),
    ("[a:b = b'YQ=']", False),
    ("[a:b = 'it\\'s' AND a:c = 'C:\\\\x']", True),
    ("[a:b = 'bad \\n escape']", False),
    ("[a:'quoted key'.'x'[*].y NOT != 1]", True),
    ("[a:b-c = 1]", False),  # properties have no hyphen
    ("[a-:b = 1]", True),  # object types may
    ("[AND:b = 1]", False),
    ("[a:b = 5AND a:c = 1]", True),  # the lexer splits 5AND
    ("[NOT EXISTS a:b]", True),
    ("[a:b IN ()]", True),
    ("[a:b = ()]", False),
    ("[a:b <> 1 AND a:c == 2]", True),
    ("\u3000( [a:b = 1] )\u2028", True),  # grammar whitespace
    ("\u200b[a:b = 1]", False),
    ("", False),
    ("file:size = 1", False),
    ("[a:b = 1] /* comment */", None),
    ("[a:b = 1 // comment\n]", None),
    ("[a:b[" + "9" * 100 + "] = 1]", None),  # int() may refuse that many digits
    ("(" * 60 + "[a:b = 1]" + ")" * 60, None),  # deep: the grammar fails near 244
    ("[" + " OR ".join(["a:b = 1"] * MAX_TREE_DEPTH) + "]", None),
    ("[" + " OR ".join(["a:b = 1"] * (MAX_TREE_DEPTH - 12)) + "]", True),
)


@pytest.mark.parametrize(("pattern", "expected"), CASES)
def test_cases(pattern: str, expected: bool | None) -> None:
    assert fast_verdict(pattern) is expected
    if expected is not None:
        assert (grammar_error(pattern) is None) is expected
    assert (pattern_error(pattern) is None) is (grammar_error(pattern) is None)


def test_corpus_verdicts_equal_the_grammar() -> None:
    report = check(corpus(CORPUS_SIZE, SEED))
    assert report.total == CORPUS_SIZE
    assert report.disagreements == []
    for source in ("realistic", "generated", "mutated"):
        assert report.counts[source, "valid"] >= 500, source
    for source in ("generated", "mutated"):
        assert report.counts[source, "invalid"] >= 500, source
    assert report.deferred("realistic") <= 0.05  # in fact 0
    assert report.deferred("generated") + report.deferred("mutated") <= 0.10


def test_valid_patterns_skip_the_grammar(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def grammar(pattern: str, version: str) -> list[str]:
        calls.append(pattern)
        return []

    monkeypatch.setattr(patterns_module, "run_validator", grammar)
    pattern_cache_clear()
    try:
        validate_pattern("[file:hashes.'SHA-256' = '" + "ab" * 32 + "'] WITHIN 60 SECONDS")
        assert calls == []
        unsure = "[file:name = 'x'] /* a comment: the grammar decides */"
        assert pattern_error(unsure) is None
        assert calls == [unsure]
    finally:
        pattern_cache_clear()


def test_refusals_carry_the_grammar_message() -> None:
    pattern_cache_clear()
    with pytest.raises(StixValidationError) as caught:
        validate_pattern("[file:hashes.MD5 = 'abc']")
    assert caught.value.reason == (
        "property 'pattern' is not a valid STIX pattern: FAIL: 'abc' is not a valid MD5 hash"
    )


def test_the_grammar_has_the_last_word(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refusal only asks the grammar for its message: it can never refuse a valid pattern."""
    monkeypatch.setattr(patterns_module, "fast_verdict", lambda pattern: False)
    pattern_cache_clear()
    try:
        assert pattern_error("[file:name = 'x']") is None
    finally:
        pattern_cache_clear()


def test_stix20_patterns_use_the_grammar() -> None:
    pattern = "[file:name = 'x'] WITHIN 5 SECONDS WITHIN 6 SECONDS"  # a 2.1-only check
    assert pattern_error(pattern, "2.1") is not None
    assert pattern_error(pattern, "2.0") == grammar_error(pattern, "2.0")
