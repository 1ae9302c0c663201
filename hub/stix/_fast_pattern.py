"""A fast, exact path for STIX 2.1 patterns: the verdict of ``stix2-patterns`` in a few µs.

``fast_verdict(pattern)`` answers True (the grammar path accepts), False (it refuses) or None
(not modelled here: ask the grammar). It reproduces, for STIX 2.1, everything
``stix2patterns.validator.run_validator`` does:

* the ANTLR lexer (``STIXPattern.g4``): longest match, ties to the earlier rule, keywords case
  sensitive, a catch-all ``InvalidCharacter``; ``_TOKEN`` is written so that its first match is
  that longest match (literals before identifiers, floats before integers, two-character
  operators before one-character ones);
* the parser: the grammar below, left recursion turned into loops, which is LL(1) once the
  object path of a comparison is parsed before its operator, so the first token this parser
  cannot take is the first one the grammar cannot take either;
* the checks on the parse tree: the hash values of ``object_validator.verify_object`` (same
  regular expressions, same text: the literal as written, quotes removed), duplicate qualifier
  types on one ``[...]`` (``DuplicateQualifierTypeError``), and the inspector's crashes, which
  the hub reports as refusals: a negative index step (``[-1]``) and an index step as the last
  step of a ``hashes`` path in a comparison;
* ``brackets_check`` holds for every pattern this path accepts (the first token is ``(`` or
  ``[`` and leading grammar whitespace is Python whitespace).

It answers None for comments and ``/`` (where a comment may begin), for index steps too long
for ``int()``, and for patterns whose parse tree is deeper than ``MAX_TREE_DEPTH``: the grammar
path walks its tree recursively and fails with ``RecursionError`` near depth 1,000 less the
caller's stack depth, so those verdicts depend on where it is called from.

The grammar (§9), as ``stix2-patterns`` 2.1.2 compiles it::

    pattern     : observations EOF
    observations: obs_or (FOLLOWEDBY obs_or)* ; obs_or: obs_and (OR obs_and)*
    obs_and     : observation (AND observation)*
    observation : ('[' comparison ']' | '(' observations ')') qualifier*
    qualifier   : START Timestamp STOP Timestamp | WITHIN (IntPos|FloatPos) SECONDS
                | REPEATS IntPos TIMES
    comparison  : comp_and (OR comp_and)* ; comp_and: prop_test (AND prop_test)*
    prop_test   : path NOT? (EQ|NEQ) primitive | path NOT? (GT|LT|GE|LE) orderable
                | path NOT? IN set | path NOT? (LIKE|MATCHES|ISSUBSET|ISSUPERSET) String
                | '(' comparison ')' | NOT? EXISTS path
    path        : (IdentWithoutHyphen|IdentWithHyphen) ':' (IdentWithoutHyphen|String) step*
    step        : '.' (IdentWithoutHyphen|String) | '[' (IntPos|IntNeg|'*') ']'
    set         : '(' ')' | '(' primitive (',' primitive)* ')'
    primitive   : orderable | Bool ; orderable: Int | Float | String | Binary | Hex | Timestamp
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NoReturn

from stix2patterns.v21.object_validator import HASHES_REGEX

__all__ = ["MAX_TREE_DEPTH", "fast_verdict"]

MAX_TREE_DEPTH = 200
"""Deeper parse trees (long chains, deep parentheses) are left to the grammar (see above)."""

_MAX_NESTING = 48  # parentheses: bounds this parser's own recursion (~4 frames a level)
_MAX_INDEX_DIGITS = 64  # int() refuses over 4,300 digits (sys.get_int_max_str_digits)

# The grammar's WS rule, all of which str.isspace() also takes (so brackets_check agrees).
_WS_CHARS = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
_WS_CHARS += "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_B64 = "[A-Za-z0-9+/]"
_TOKEN = re.compile(
    rf"[{_WS_CHARS}]*("
    r"'[^'\\]*(?:\\['\\][^'\\]*)*'"  # StringLiteral (else QUOTE, via the catch-all)
    r"|t'[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\.[0-9]+)?Z'"  # TimestampLiteral
    r"|h'(?:[0-9A-Fa-f]{2})*'"  # HexLiteral
    rf"|b'(?:{_B64}{{4}})*(?:{_B64}{{4}}|{_B64}{{3}}=|{_B64}{{2}}==)'"  # BinaryLiteral
    r"|[A-Za-z_][A-Za-z0-9_-]*"  # keywords, BoolLiteral, identifiers (with or without -)
    r"|[+-]?[0-9]*\.[0-9]+"  # FloatPosLiteral, FloatNegLiteral
    r"|[+-]?(?:0|[1-9][0-9]*)"  # IntPosLiteral, IntNegLiteral
    r"|[<>!=]=|<>"  # LE GE NEQ EQ, NEQ
    rf"|[^{_WS_CHARS}]"  # one character: punctuation, QUOTE, PLUS, HYPHEN, ..., InvalidCharacter
    r")"
)
_KEYWORDS = frozenset((
    "AND", "OR", "NOT", "FOLLOWEDBY", "LIKE", "MATCHES", "ISSUPERSET", "ISSUBSET", "EXISTS", "LAST",
    "IN", "START", "STOP", "SECONDS", "true", "false", "WITHIN", "REPEATS", "TIMES",
))  # fmt: skip
_IDENT_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_NUMBER_START = frozenset("0123456789+-.")
_EQUALITY = frozenset(("=", "==", "!=", "<>"))
_ORDER = frozenset(("<", "<=", ">", ">="))
_STRING_OPS = frozenset(("LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"))
_EOF = " "  # appended to the tokens; never a token (whitespace is skipped)

# Literal kinds.
_STRING, _INT_POS, _INT_NEG, _FLOAT_POS, _FLOAT_NEG, _BINARY, _TIMESTAMP, _BOOL, _NONE = range(9)
_TYPED_KIND = {"t": _TIMESTAMP, "h": _BINARY, "b": _BINARY}  # HexLiteral, BinaryLiteral
_ORDERABLE = frozenset(range(_BOOL))
_PRIMITIVE = frozenset(range(_BOOL + 1))
_STRINGS = frozenset((_STRING,))
_TIMESTAMPS = frozenset((_TIMESTAMP,))
_COUNTS = frozenset((_INT_POS,))
_SECONDS = frozenset((_INT_POS, _FLOAT_POS))

# Qualifier kinds (bits), for the duplicate check on a [...] observation.
_START_STOP, _WITHIN, _REPEATS = 1, 2, 4

# object_validator.verify_object: hash name (upper case, no '-' or "'") -> re.match of its value.
_HASH_MATCH: dict[str, Callable[[str], object]] = {
    name: re.compile(regex).match for name, (regex, _) in HASHES_REGEX.items()
}
_NOT_NAME, _WITH_HYPHEN, _WITHOUT_HYPHEN = 1, 2, 3
_NAMES: dict[str, int] = {}  # token -> its _name_kind (object types and properties recur)
_MAX_NAMES = 4096
_STAR = object()  # last path step "[*]"
_INDEX = object()  # last path step "[n]"


class _Refused(Exception):
    """The grammar path refuses the pattern."""


class _Unsure(Exception):
    """Not modelled here: the grammar decides."""


def fast_verdict(pattern: str) -> bool | None:
    """True if the grammar path accepts ``pattern`` (STIX 2.1), False if it refuses, None if
    this fast path cannot tell."""
    tokens: list[str] = _TOKEN.findall(pattern.rstrip(_WS_CHARS))
    tokens.append(_EOF)
    parser = _Parser(tokens)
    try:
        depth = parser.observations() + 1
        if tokens[parser.pos] != _EOF:
            parser.fail()
    except _Refused:
        return False
    except (_Unsure, RecursionError):  # RecursionError: called from a very deep stack
        return None
    return depth <= MAX_TREE_DEPTH or None


def _literal_kind(tok: str) -> int:
    c = tok[0]
    if c == "'":
        return _STRING if len(tok) > 1 else _NONE
    if c in _NUMBER_START:
        if len(tok) == 1 and not c.isdigit():
            return _NONE  # PLUS, HYPHEN, DOT
        if "." in tok:
            return _FLOAT_NEG if c == "-" else _FLOAT_POS
        return _INT_NEG if c == "-" else _INT_POS
    if len(tok) > 1 and tok[1] == "'":
        return _TYPED_KIND.get(c, _NONE)  # only t'', h'' and b'' tokens have a quote second
    return _BOOL if tok == "true" or tok == "false" else _NONE


def _name_kind(tok: str) -> int:
    """_WITH_HYPHEN, _WITHOUT_HYPHEN (IdentifierWith/WithoutHyphen) or _NOT_NAME; memoized."""
    if tok[0] not in _IDENT_START or tok in _KEYWORDS or "'" in tok:  # t'', h'', b''
        kind = _NOT_NAME
    else:
        kind = _WITH_HYPHEN if "-" in tok else _WITHOUT_HYPHEN
    if len(_NAMES) < _MAX_NAMES and len(tok) <= 64:
        _NAMES[tok] = kind
    return kind


def _unquote(tok: str) -> str:
    """inspector._string_literal_to_string."""
    return tok[1:-1].replace("\\'", "'").replace("\\\\", "\\")


class _Parser:
    """Recursive descent over the tokens; each rule returns the depth of its ANTLR subtree."""

    __slots__ = ("nesting", "pos", "tokens")

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.nesting = 0

    def fail(self) -> NoReturn:
        """The current token is not one the grammar can take here."""
        raise _Unsure if self.tokens[self.pos] == "/" else _Refused  # "/" may begin a comment

    def expect(self, token: str) -> None:
        if self.tokens[self.pos] != token:
            self.fail()
        self.pos += 1

    def open_paren(self) -> None:
        self.nesting += 1
        if self.nesting > _MAX_NESTING:
            raise _Unsure
        self.pos += 1

    def observations(self) -> int:
        tokens = self.tokens
        depth, count = self.obs_or(), 1
        while tokens[self.pos] == "FOLLOWEDBY":
            self.pos += 1
            depth, count = max(depth, self.obs_or()), count + 1
        return depth + count

    def obs_or(self) -> int:
        tokens = self.tokens
        depth, count = self.obs_and(), 1
        while tokens[self.pos] == "OR":
            self.pos += 1
            depth, count = max(depth, self.obs_and()), count + 1
        return depth + count

    def obs_and(self) -> int:
        tokens = self.tokens
        depth, count = self.observation(), 1
        while tokens[self.pos] == "AND":
            self.pos += 1
            depth, count = max(depth, self.observation()), count + 1
        return depth + count

    def observation(self) -> int:
        tokens = self.tokens
        tok = tokens[self.pos]
        if tok == "[":
            self.pos += 1
            depth = self.comparison() + 1
            self.expect("]")
            seen = 0  # qualifier kinds on this [...]: a second one of a kind is refused
        elif tok == "(":
            self.open_paren()
            depth = self.observations() + 1
            self.expect(")")
            self.nesting -= 1
            seen = -1  # on a (...) qualifiers are not checked
        else:
            self.fail()
        qualifiers = 0
        while True:
            tok = tokens[self.pos]
            if tok == "START":
                self.pos += 1
                self.literal(_TIMESTAMPS)
                self.expect("STOP")
                self.literal(_TIMESTAMPS)
                kind = _START_STOP
            elif tok == "WITHIN":
                self.pos += 1
                self.literal(_SECONDS)
                self.expect("SECONDS")
                kind = _WITHIN
            elif tok == "REPEATS":
                self.pos += 1
                self.literal(_COUNTS)
                self.expect("TIMES")
                kind = _REPEATS
            else:
                return max(depth, 3) + qualifiers
            qualifiers += 1
            if seen >= 0:
                if seen & kind:
                    raise _Refused  # DuplicateQualifierTypeError
                seen |= kind

    def comparison(self) -> int:
        tokens = self.tokens
        depth, count = self.comp_and(), 1
        while tokens[self.pos] == "OR":
            self.pos += 1
            depth, count = max(depth, self.comp_and()), count + 1
        return depth + count

    def comp_and(self) -> int:
        tokens = self.tokens
        depth, count = self.prop_test(), 1
        while tokens[self.pos] == "AND":
            self.pos += 1
            depth, count = max(depth, self.prop_test()), count + 1
        return depth + count

    def prop_test(self) -> int:
        tokens = self.tokens
        tok = tokens[self.pos]
        if tok == "(":
            self.open_paren()
            depth = self.comparison() + 1
            self.expect(")")
            self.nesting -= 1
            return depth
        if tok == "NOT" or tok == "EXISTS":
            if tok == "NOT":
                self.pos += 1
            self.expect("EXISTS")
            return self.path()[0] + 1
        depth, hashes, last = self.path()
        tok = tokens[self.pos]
        if tok == "NOT":
            self.pos += 1
            tok = tokens[self.pos]
        self.pos += 1
        if tok in _EQUALITY:
            value = self.literal(_PRIMITIVE)
        elif tok in _ORDER:
            value = self.literal(_ORDERABLE)
        elif tok == "IN":
            value = self.set_literal()
        elif tok in _STRING_OPS:
            value = self.literal(_STRINGS)
        else:
            self.pos -= 1
            self.fail()
        if hashes:
            _check_hash(last, value)
        return max(depth, 4) + 1  # a set literal's subtree is 4 deep

    def path(self) -> tuple[int, bool, object]:
        """Object path: (depth, has a component "hashes", last component)."""
        tokens = self.tokens
        tok = tokens[self.pos]
        if (_NAMES.get(tok) or _name_kind(tok)) == _NOT_NAME:
            self.fail()
        self.pos += 1
        self.expect(":")
        last: object = self.key()
        hashes = last == "hashes"
        steps = 0
        while True:
            tok = tokens[self.pos]
            if tok == ".":
                self.pos += 1
                last = self.key()
                hashes = hashes or last == "hashes"
            elif tok == "[":
                self.pos += 1
                tok = tokens[self.pos]
                if tok == "*":
                    last = _STAR
                else:
                    kind = _literal_kind(tok)
                    if kind == _INT_NEG:
                        raise _Refused  # InspectionListener.exitIndexPathStep crashes
                    if kind != _INT_POS:
                        self.fail()
                    if len(tok) > _MAX_INDEX_DIGITS:
                        raise _Unsure
                    last = _INDEX
                self.pos += 1
                self.expect("]")
            else:
                return steps + 3, hashes, last
            steps += 1

    def key(self) -> str:
        """IdentifierWithoutHyphen or StringLiteral, as the inspector records it."""
        tok = self.tokens[self.pos]
        if tok[0] == "'":
            if len(tok) == 1:
                self.fail()
            self.pos += 1
            return _unquote(tok)
        if (_NAMES.get(tok) or _name_kind(tok)) != _WITHOUT_HYPHEN:
            self.fail()
        self.pos += 1
        return tok

    def literal(self, kinds: frozenset[int]) -> str:
        """A literal of one of ``kinds``; its text."""
        tok = self.tokens[self.pos]
        if _literal_kind(tok) not in kinds:
            self.fail()
        self.pos += 1
        return tok

    def set_literal(self) -> str:
        """'(' ')' or '(' primitive (',' primitive)* ')'; its text as getText() gives it."""
        tokens = self.tokens
        self.expect("(")
        if tokens[self.pos] == ")":
            self.pos += 1
            return "()"
        items = [self.literal(_PRIMITIVE)]
        while tokens[self.pos] == ",":
            self.pos += 1
            items.append(self.literal(_PRIMITIVE))
        self.expect(")")
        return "(" + ",".join(items) + ")"


def _check_hash(last: object, value: str) -> None:
    """object_validator.verify_object on one comparison of a path with a "hashes" component."""
    if last is _STAR:
        return
    if last is _INDEX:
        raise _Refused  # verify_object calls .upper() on an int
    assert isinstance(last, str)
    match = _HASH_MATCH.get(last.upper().replace("-", "").replace("'", ""))
    if match is not None and match(value.replace("'", "")) is None:
        raise _Refused
