"""Granular-marking selectors (§7.2.3.1): dotted paths of property names, keys and [index]."""

from __future__ import annotations

from typing import Any

__all__ = ["select", "selects"]


def select(obj: dict[str, Any], selector: str) -> Any:
    """The content ``selector`` selects in ``obj``; LookupError if it selects nothing.

    A selector's parts are keys of JSON objects or ``[index]`` of lists, joined by dots; it
    must refer to content actually present (§7.2.3.1). ``selector`` must have selector syntax.
    """
    node: Any = obj
    for part in selector.split("."):
        if part.startswith("["):
            index = part[1:-1]
            if type(node) is not list or not part.endswith("]") or not index.isdigit():
                raise LookupError(selector)
            node = node[int(index)]  # IndexError is a LookupError
        elif type(node) is dict:
            node = node[part]  # KeyError is a LookupError
        else:
            raise LookupError(selector)
    return node


def selects(obj: dict[str, Any], selector: str) -> bool:
    """True if ``selector`` selects content present in ``obj``."""
    try:
        select(obj, selector)
    except LookupError:
        return False
    return True
