"""JSON Pointers (RFC 6901): the field paths that associated data, blind indexes and delivered
fields name.

A field path is always a pointer in its canonical spelling: ``""`` (the whole document) or
``/`` followed by reference tokens, with ``~`` escaped as ``~0`` and ``/`` as ``~1`` (§3, §4).
A bare property name (``"name"``) is accepted where callers say so and means ``"/name"``.
"""

from __future__ import annotations

from typing import Any

from hub.crypto.errors import InvalidValue

__all__ = ["escape", "from_property", "get", "parse", "pop", "put", "to_pointer"]


def escape(token: str) -> str:
    """Escape one reference token (RFC 6901 §3): ``~`` → ``~0``, ``/`` → ``~1``."""
    return token.replace("~", "~0").replace("/", "~1")


def _unescape(token: str) -> str:
    # §4: first ~1 → /, then ~0 → ~ (so "~01" becomes "~1", not "/").
    return token.replace("~1", "/").replace("~0", "~")


def parse(pointer: str) -> list[str]:
    """The reference tokens of `pointer`; :class:`InvalidValue` if it is not a valid pointer."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise InvalidValue(f"{pointer!r} is not a JSON pointer (RFC 6901): it must start with /")
    tokens = pointer[1:].split("/")
    for t in tokens:
        rest = t.replace("~0", "").replace("~1", "")
        if "~" in rest:
            raise InvalidValue(f"{pointer!r} has an invalid escape (RFC 6901 §3: only ~0 and ~1)")
    return [_unescape(t) for t in tokens]


def to_pointer(tokens: list[str]) -> str:
    """The canonical pointer of a token list."""
    return "".join("/" + escape(t) for t in tokens)


def from_property(name_or_pointer: str) -> str:
    """A canonical pointer from a pointer or a bare top-level property name."""
    if "~" not in name_or_pointer:  # fast path: nothing to escape or check
        if name_or_pointer.startswith("/") or name_or_pointer == "":
            return name_or_pointer
        return "/" + name_or_pointer.replace("/", "~1")
    if name_or_pointer.startswith("/"):
        return to_pointer(parse(name_or_pointer))
    return "/" + escape(name_or_pointer)


def _step(container: Any, token: str, pointer: str) -> Any:
    if isinstance(container, dict):
        if token not in container:
            raise InvalidValue(f"{pointer!r}: no member {token!r}")
        return container[token]
    if isinstance(container, list):
        return container[_index(container, token, pointer, allow_end=False)]
    raise InvalidValue(f"{pointer!r}: cannot descend into a {type(container).__name__}")


def _index(container: list[Any], ref: str, pointer: str, *, allow_end: bool) -> int:
    if ref == "-" and allow_end:
        return len(container)
    if not ref.isdigit() or (ref.startswith("0") and ref != "0"):
        raise InvalidValue(f"{pointer!r}: {ref!r} is not an array index")
    i = int(ref)
    if i > len(container) or (i == len(container) and not allow_end):
        raise InvalidValue(f"{pointer!r}: index {i} is out of range")
    return i


def get(document: Any, pointer: str) -> Any:
    """The value `pointer` refers to in `document` (RFC 6901 §4)."""
    value = document
    for token in parse(pointer):
        value = _step(value, token, pointer)
    return value


def _parent(document: Any, pointer: str) -> tuple[Any, str]:
    tokens = parse(pointer)
    if not tokens:
        raise InvalidValue("the whole document cannot be a protected field")
    parent = document
    for token in tokens[:-1]:
        parent = _step(parent, token, pointer)
    return parent, tokens[-1]


def pop(document: Any, pointer: str) -> Any:
    """Remove and return the member or element `pointer` refers to."""
    parent, last = _parent(document, pointer)
    if isinstance(parent, dict):
        if last not in parent:
            raise InvalidValue(f"{pointer!r}: no member {last!r}")
        return parent.pop(last)
    if isinstance(parent, list):
        return parent.pop(_index(parent, last, pointer, allow_end=False))
    raise InvalidValue(f"{pointer!r}: cannot descend into a {type(parent).__name__}")


def put(document: Any, pointer: str, value: Any) -> None:
    """Set the member `pointer` refers to; for an array, insert at the index (or ``-``: append).

    The inverse of :func:`pop`: popping a pointer and putting the value back restores the document.
    """
    parent, last = _parent(document, pointer)
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, last, pointer, allow_end=True), value)
    else:
        raise InvalidValue(f"{pointer!r}: cannot descend into a {type(parent).__name__}")
