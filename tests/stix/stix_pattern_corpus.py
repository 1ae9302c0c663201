"""A seeded corpus of STIX 2.1 patterns, valid and invalid, and its equivalence check.

``corpus(count, seed)`` yields ``(source, pattern)``: "realistic" patterns of every shape of
``hub.demo.generate.make_pattern``, "generated" ones drawn from the STIX 2.1 grammar (every
construct, with wrong pieces mixed in: bad hashes, duplicate qualifiers, negative indexes,
bad timestamps, wrong-case keywords, odd whitespace, huge numbers, deep nesting, long chains)
and "mutated" ones (characters inserted, deleted, swapped or replaced; tokens dropped,
doubled or re-cased; brackets unbalanced; escapes broken), after "seed" patterns (the
``stix2-patterns`` test cases and STIX 2.1 specification examples).

``check(...)`` compares ``fast_verdict`` with the grammar path on each one. As a script::

    python -m tests.stix.stix_pattern_corpus --count 100000 [--seed N]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from hub.demo.generate import PATTERN_SHAPES, make_pattern
from hub.stix._fast_pattern import fast_verdict
from hub.stix.patterns import grammar_error

SEED = 20261201
_T = TypeVar("_T")
SOURCES = ("seed", "realistic", "generated", "mutated")

# (valid, invalid) choices: a generator takes an invalid one with its `wrong` probability.
TYPES = (
    ("file", "ipv4-addr", "network-traffic", "url", "x-acme-thing", "x_custom", "_t", "a1-",
     "File", "domain-name", "t", "h", "b"),
    ("AND", "true", "9x", "e'", "x.y", "'file'"),
)  # fmt: skip
PROPS = (
    ("name", "value", "size", "dst_ref", "x_y", "_", "src_port", "extensions", "protocols",
     "Value", "t", "b2"),
    ("dst-ref", "EXISTS", "false", "9", "x y", "hashes"),
)  # fmt: skip
QUOTED = (
    ("'hashes'", "'SHA-256'", "'a b'", "'it\\'s'", "'back\\\\slash'", "''", "'*'",
     "'windows-pebinary-ext'", "'\u00e9t\u00e9'", "'md-5'"),
    ("'\\n'", "'x", '"x"'),
)  # fmt: skip
INDEXES = (("*", "*", "0", "1", "+2", "12"), ("-1", "01", "9" * 80, "x", "", "1.5", "'0'"))
HASH_NAMES = {
    "MD5": 32, "'SHA-256'": 64, "'SHA-1'": 40, "SHA256": 64, "sha1": 40, "'sha-512'": 128,
    "SSDEEP": 48, "MD6": 64, "'SHA3-256'": 64, "WHIRLPOOL": 128, "'RIPEMD-160'": 40, "'md-5'": 32,
    "'Sha-384'": 96, "SHA224": 56, "'\u017fha1'": 40, "x_hash": 7, "'SHA3-512'": 128,
    "SHA3224": 56, "'SHA3-384'": 96, "SHA512": 128,
}  # fmt: skip
HEX_LENGTHS = (32, 40, 56, 64, 96, 128, 0, 8, 31, 33, 1, 63, 65, 127)
NUMBERS = (("0", "5", "+5", "-5", "1280", "1.5", ".5", "-.5", "+1.0", "-0", "443", "7.0"),
           ("007", "1.", "1e5", "- 5", "+-1", "0x1f", "1_000"))  # fmt: skip
STRINGS = (
    ("a", "evil.example.com", "198.51.100.7", "C:\\\\Windows", "it\\'s", "", "%.exe",
     "^https?://x[.]y/$", "\u00e9\u4e2d\U0001f600", "x\ny", "/* no */", "\\' AND \\'", "\\\\"),
    ("a\\b", "'", "\\", "\\n", "a'b"),
)  # fmt: skip
BINARIES = (
    ("b'YWJj'", "b'YQ=='", "b'YWI='", "b'YWJjZA=='", "b'ab/+'", "b'ab//'", "h''", "h'ab'",
     "h'ffd8'", "h'DEADbeef'"),
    ("b''", "b'Y'", "b'===='", "b'YWJj YQ=='", "h'abc'", "h'zz'", "H'ab'", "b'YQ='", "B'YWJj'"),
)  # fmt: skip
BOOLS = (("true", "false"), ("TRUE", "True", "FALSE", "yes"))
EQ_OPS = ("=", "==", "!=", "<>")
ORDER_OPS = ("<", "<=", ">", ">=")
STRING_OPS = ("LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET")
BAD_OPS = ("=<", "=>", "!", "<<", "===", "not =", "NOT NOT =", "in", "Like", "EQ", "")
SPACES = (("  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u2028", "\x0b", "\x85", "\u205f"),
          ("", "", "\u200b", "\x1c", "\ufeff", "/* c */", "// c\n", " /**/ ", "\x00"))  # fmt: skip
ALPHABET = ("[", "]", "(", ")", "'", "\\", ":", ".", ",", "*", "=", "<", ">", "!", "+", "-",
            "_", " ", "/", "\t", "0", "9", "a", "Z", "t", "h", "b", "e", "\u00a0", "\u3000",
            "\u200b", "\u00e9", "\U0001f600", "\x00", "\ud800", "Z'", "\\'", "\\\\", "''",
            "AND ", " OR ", "NOT ", "EXISTS ", "'")  # fmt: skip
KEYWORDS = ("AND", "OR", "NOT", "FOLLOWEDBY", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET",
            "EXISTS", "IN", "START", "STOP", "WITHIN", "SECONDS", "REPEATS", "TIMES", "true",
            "false")  # fmt: skip


class Gen:
    """Random patterns from the STIX 2.1 grammar; each choice is a wrong one with probability
    ``wrong`` (0 for about half the patterns of ``corpus``)."""

    def __init__(self, rng: random.Random, wrong: float = 0.0) -> None:
        self.r, self.wrong = rng, wrong

    def oops(self) -> bool:
        return self.wrong > 0 and self.r.random() < self.wrong

    def pick(self, choices: tuple[tuple[_T, ...], tuple[_T, ...]]) -> _T:
        return self.r.choice(choices[1] if self.oops() else choices[0])

    def ws(self) -> str:
        if self.r.random() >= 0.05:
            return " "
        return self.r.choice(SPACES[1] if self.oops() else SPACES[0])

    def join(self, *parts: str) -> str:
        out = parts[0]
        for part in parts[1:]:
            out += self.ws() + part
        return out

    def hexs(self, n: int) -> str:
        s = f"{self.r.getrandbits(4 * n):0{n}x}" if n else ""
        if self.r.random() < 0.1:
            s = s.upper()
        if n and self.oops():
            i = self.r.randrange(n)
            s = s[:i] + self.r.choice("gG'\\ -\n") + s[i + 1 :]
        return s

    def timestamp(self) -> str:
        r, bad = self.r, self.oops()
        y = r.randrange(10000)
        mo = r.choice((0, 13, 1) if bad else (1, 2, 9, 10, 12))
        d = r.choice((0, 32, 1) if bad else (1, 9, 10, 29, 30, 31))
        h = r.choice((24, 0) if bad else (0, 9, 19, 20, 23))
        mi = r.choice((60, 0) if bad else (0, 30, 59))
        sec = r.choice((61, 0) if bad else (0, 59, 60))
        frac = r.choice(("", "", ".1", ".123", ".123456") + ((".",) if bad else ()))
        text = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{sec:02d}{frac}Z"
        if self.oops():
            text = r.choice((text.lower(), text[:-1], text.replace("T", " "), text[1:], "now"))
        return ("T" if self.oops() else "t") + "'" + text + "'"

    def string(self) -> str:
        return "'" + self.pick(STRINGS) + "'"

    def literal(self, primitive: bool = True) -> str:
        r = self.r.random()
        if r < 0.4:
            return self.string()
        if r < 0.6:
            return self.pick(NUMBERS)
        if r < 0.75:
            return self.timestamp()
        if r < 0.88:
            return self.pick(BINARIES)
        if primitive or self.oops():
            return self.pick(BOOLS)
        return self.string()

    def key(self) -> str:
        return self.pick(PROPS) if self.r.random() < 0.85 else self.pick(QUOTED)

    def path(self, hashes: bool = False) -> str:
        r = self.r
        out = self.pick(TYPES) + ":"
        if hashes:
            out += r.choice(("hashes", "hashes", "'hashes'", "extensions.'x'.hashes"))
            return out + ("." + r.choice(list(HASH_NAMES)) if r.random() < 0.9 else "[*]")
        out += self.key()
        for _ in range(r.choice((0, 0, 0, 1, 1, 2, 3))):
            if r.random() < 0.7:
                out += "." + self.key()
            else:
                out += "[" + self.pick(INDEXES) + "]"
        if self.oops():
            out = out.replace(":", r.choice((".", "::", " : ", "")), 1)
        return out

    def prop_test(self, depth: int) -> str:
        r = self.r
        choice = r.random()
        if choice < 0.08 and depth < 4:
            return self.join("(", self.comparison(depth + 1), ")")
        if choice < 0.14:
            return self.join(*(("NOT",) if r.random() < 0.3 else ()), "EXISTS", self.path())
        hashes = choice < 0.4
        path = self.path(hashes)
        neg = ("NOT",) if r.random() < 0.1 else ()
        op = r.random()
        if hashes and op < 0.95:
            name = path.rpartition(".")[2]
            n = HASH_NAMES.get(name, 64) if r.random() < 0.85 else r.choice(HEX_LENGTHS)
            value = "'" + self.hexs(n) + "'"
            return self.join(path, *neg, r.choice(EQ_OPS), value)
        if self.oops():
            return self.join(path, r.choice(BAD_OPS), self.literal())
        if op < 0.55:
            return self.join(path, *neg, r.choice(EQ_OPS), self.literal())
        if op < 0.7:
            return self.join(path, *neg, r.choice(ORDER_OPS), self.literal(primitive=False))
        if op < 0.85:
            items = [self.literal() for _ in range(r.choice((0, 1, 2, 3)))]
            return self.join(path, *neg, "IN", "(" + ("," + self.ws()).join(items) + ")")
        return self.join(path, *neg, r.choice(STRING_OPS), self.string())

    def comparison(self, depth: int = 0) -> str:
        out = self.prop_test(depth)
        for _ in range(self.r.choice((0, 0, 0, 1, 1, 2))):
            out = self.join(out, self.r.choice(("AND", "OR")), self.prop_test(depth))
        return out

    def qualifier(self) -> str:
        r = self.r
        kind = r.random()
        if kind < 0.35:
            return self.join("START", self.timestamp(), "STOP", self.timestamp())
        if kind < 0.7:
            n = self.pick(
                (("60", "300", "0", "1.5", ".5", "+5", "+.5"), ("-5", "5.", "1e3", "05", ""))
            )
            return self.join("WITHIN", n, "SECONDS" if not self.oops() else "SECOND")
        n = self.pick((("2", "5", "0", "+3", "10"), ("2.5", "-1", "05", "")))
        return self.join("REPEATS", n, "TIMES" if not self.oops() else "times")

    def observation(self, depth: int) -> str:
        r = self.r
        if depth < 3 and r.random() < 0.15:
            out = self.join("(", self.observations(depth + 1), ")")
        else:
            out = self.join("[", self.comparison(), "]")
        for _ in range(r.choice((0, 0, 0, 0, 1, 1, 2))):  # 2 may repeat a kind
            out = self.join(out, self.qualifier())
        return out

    def observations(self, depth: int = 0) -> str:
        r = self.r
        out = self.observation(depth)
        for _ in range(r.choice((0, 0, 0, 0, 1, 1, 2))):
            out = self.join(out, r.choice(("AND", "OR", "FOLLOWEDBY")), self.observation(depth))
        return out

    def big(self) -> str:
        """Long chains and deep parentheses, around the fast path's depth limit."""
        r = self.r
        n = r.choice((20, 60, 150, 190, 197, 199, 210, 300, 1200))
        if r.random() < 0.5:
            tests = [f"file:hashes.MD5 = '{self.hexs(32)}'" for _ in range(n)]
            return "[" + r.choice((" OR ", " AND ")).join(tests) + "]"
        k = n // 4
        if r.random() < 0.5:
            return "(" * k + "[a:b = 1]" + ")" * k
        return "[" + "(" * k + "a:b = 1" + ")" * k + "]"


def mutate(rng: random.Random, pattern: str) -> str:
    """One random edit, at the character or the token level."""
    n = len(pattern)
    i = rng.randrange(n + 1)
    op = rng.randrange(12)
    if op == 0:
        return pattern[:i] + rng.choice(ALPHABET) + pattern[i:]
    if op == 1 and n:
        return pattern[:i] + pattern[i + 1 :]
    if op == 2 and n > 1:
        i = min(i, n - 2)
        return pattern[:i] + pattern[i + 1] + pattern[i] + pattern[i + 2 :]
    if op == 3 and n:
        return pattern[:i] + rng.choice(ALPHABET) + pattern[i + 1 :]
    words = pattern.split(" ")
    j = rng.randrange(len(words))
    if op == 4:
        del words[j]
    elif op == 5:
        words.insert(j, words[j])
    elif op == 6:
        words[j] = rng.choice((str.lower, str.upper, str.title))(words[j])
    elif op == 7:
        words[j] = words[j].replace("'", rng.choice(("", "\\'", "''", '"')), 1)
    elif op == 8:
        words.insert(j, rng.choice(KEYWORDS))
    elif op == 9:
        return pattern.replace(" ", rng.choice(rng.choice(SPACES)), rng.randrange(1, 4))
    elif op == 10:
        digits = [k for k, c in enumerate(pattern) if c.isdigit()]
        if digits:
            k = rng.choice(digits)
            return (
                pattern[:k]
                + rng.choice("0123456789" + "9" * 5) * rng.choice((1, 1, 2, 500))
                + pattern[k + 1 :]
            )
    else:
        return rng.choice(("[", "(", "")) + pattern + rng.choice(("]", ")", "", "]]"))
    return " ".join(words)


def seeds() -> list[str]:
    """The stix2-patterns test cases and STIX 2.1 specification examples."""
    from pathlib import Path

    import stix2patterns

    base = Path(stix2patterns.__file__).parent / "test" / "v21"
    out = [line.strip() for line in (base / "spec_examples.txt").read_text().splitlines()]
    try:
        from stix2patterns.test.v21 import test_validator as tv
    except ImportError:  # pragma: no cover - pytest not installed
        return [p for p in out if p]
    out += list(tv.PASS_CASES) + list(tv.TIMESTAMP_PASS_CASES)
    out += [case[0] for case in (*tv.FAIL_CASES, *tv.TIMESTAMP_FAIL_CASES)]
    out += ["", " ", "(", "[", "[]", "()", "/**/[a:b = 1]", "[a:b = 1]//", "\t[a:b = 1]\n"]
    return [p for p in out if p or p == ""]


def corpus(count: int, seed: int = SEED) -> Iterator[tuple[str, str]]:
    """``count`` (source, pattern) pairs: the seeds, then 30% realistic, 30% generated and 40%
    mutated (1-3 edits of a realistic, generated or seed pattern)."""
    rng = random.Random(seed)
    clean, sloppy = Gen(rng), Gen(rng, wrong=0.04)
    base = seeds()[:count]
    yield from (("seed", p) for p in base)
    shapes = list(PATTERN_SHAPES)
    for k in range(count - len(base)):
        pick = rng.random()
        if pick < 0.3:
            yield "realistic", make_pattern(rng, rng.randrange(1 << 40), shapes[k % len(shapes)])[0]
        elif pick < 0.6:
            gen = clean if rng.random() < 0.5 else sloppy
            yield "generated", gen.big() if rng.random() < 0.005 else gen.observations()
        else:
            r = rng.random()
            if r < 0.45:
                pattern = make_pattern(rng, rng.randrange(1 << 40))[0]
            elif r < 0.9:
                pattern = clean.observations()
            else:
                pattern = rng.choice(base) if base else "[a:b = 1]"
            for _ in range(rng.choice((1, 1, 1, 2, 3))):
                pattern = mutate(rng, pattern)
            yield "mutated", pattern


@dataclass
class Report:
    """Verdicts by source: (source, "valid" | "invalid" | "deferred") -> count."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    disagreements: list[tuple[str, bool, bool]] = field(default_factory=list)
    seconds_fast: float = 0.0
    seconds_grammar: float = 0.0

    @property
    def total(self) -> int:
        return sum(v for (_, verdict), v in self.counts.items() if verdict != "deferred")

    def deferred(self, source: str) -> float:
        """The share of patterns from ``source`` the fast path left to the grammar."""
        n = sum(v for (s, _), v in self.counts.items() if s == source)
        return self.counts[source, "deferred"] / n if n else 0.0


def check(
    patterns: Iterator[tuple[str, str]], grammar: Callable[[str], bool] | None = None
) -> Report:
    """Compare ``fast_verdict`` with the grammar path (``grammar_error(p, "2.1") is None``)."""
    valid = grammar or (lambda p: grammar_error(p, "2.1") is None)
    report = Report()
    clock = time.perf_counter
    for source, pattern in patterns:
        t0 = clock()
        fast = fast_verdict(pattern)
        t1 = clock()
        truth = valid(pattern)
        report.seconds_grammar += clock() - t1
        report.seconds_fast += t1 - t0
        report.counts[source, "valid" if truth else "invalid"] += 1
        if fast is None:
            report.counts[source, "deferred"] += 1
        elif fast != truth:
            report.disagreements.append((pattern, fast, truth))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    report = check(corpus(args.count, args.seed))
    elapsed = time.perf_counter() - started
    print(f"{report.total} patterns (seed {args.seed}) in {elapsed:.1f} s")
    for source in SOURCES:
        c = report.counts
        print(f"  {source:10} valid {c[source, 'valid']:6}  invalid {c[source, 'invalid']:6}"
              f"  deferred {c[source, 'deferred']:5} ({report.deferred(source):.2%})")  # fmt: skip
    print(
        f"fast path {report.seconds_fast * 1e6 / report.total:.1f} us/pattern,"
        f" grammar {report.seconds_grammar * 1e6 / report.total:.1f} us/pattern"
    )
    print(f"disagreements: {len(report.disagreements)}")
    for pattern, fast, truth in report.disagreements[:20]:
        print(f"  fast={fast} grammar={truth}: {pattern!r}")
    return 1 if report.disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
