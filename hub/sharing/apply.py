"""The object as one recipient gets it: field actions and reference pruning applied.

Selectors are STIX 2.1 granular-marking selectors (§7.2.3.1). What a recipient may not have is
removed; what is left stays valid STIX: emptied lists and dictionaries go (§3.1: no empty
lists), embedded objects that lost what they need go (an external reference without
``source_name``, or without any of ``description``/``url``/``external_id``, §2.5; a kill-chain
phase missing a part, §2.8), and granular markings are rewritten so their selectors still point
at the same content, or dropped with it. Required properties are never removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.sharing.context import required_properties
from hub.sharing.decision import Decision, FieldProfile, SharingError
from hub.stix.selectors import selects

__all__ = ["apply_field_actions", "apply_profile"]

_Path = tuple[str | int, ...]
_GONE = object()


def apply_field_actions(obj: Mapping[str, Any], decision: Decision) -> dict[str, Any]:
    """The object as the decision's recipient gets it (a new dict; `obj` is not changed).

    ``redact`` and, until field encryption to recipients exists, ``encrypt`` fields are removed;
    reference lists are pruned (:func:`~hub.sharing.decision.resolve_references` first).
    Raises :class:`~hub.sharing.decision.SharingError` if the object is not granted.
    """
    if decision.object_id != obj.get("id"):
        raise SharingError(f"decision for {decision.object_id} applied to {obj.get('id')}")
    if decision.full:
        return dict(obj)
    return apply_profile(obj, decision.profile())


def apply_profile(obj: Mapping[str, Any], profile: FieldProfile) -> dict[str, Any]:
    """Apply a stored :class:`FieldProfile` (the read path: no decision at hand).

    Values the profile does not touch are shared with `obj`, not copied.
    """
    if profile.is_full:
        return dict(obj)
    removed: set[_Path] = {_parse(s) for s in (*profile.redact, *profile.encrypt)}
    for prop, ids in profile.drop_refs:
        value = obj.get(prop)
        if isinstance(value, str):
            if value in ids:
                removed.add((prop,))
        elif isinstance(value, list):
            removed.update((prop, i) for i, ref in enumerate(value) if ref in ids)
    touched = {p[:n] for p in removed for n in range(1, len(p))}
    remap: dict[_Path, dict[int, int]] = {}
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if key == "granular_markings":
            continue
        new = _rebuild(value, (key,), removed, touched, remap)
        if new is not _GONE:
            out[key] = new
    markings = _markings(obj.get("granular_markings"), out, removed, remap)
    if markings:
        out["granular_markings"] = markings
    lost = (required_properties(str(obj.get("type")), obj) & obj.keys()) - out.keys()
    if lost:
        raise SharingError(f"the profile would remove required {', '.join(sorted(lost))}")
    return out


def _parse(selector: str) -> _Path:
    return tuple(int(p[1:-1]) if p.startswith("[") else p for p in selector.split("."))


def _format(path: _Path) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else p for p in path)


def _rebuild(
    value: Any,
    path: _Path,
    removed: set[_Path],
    touched: set[_Path],
    remap: dict[_Path, dict[int, int]],
) -> Any:
    """`value` without the removed paths under it; _GONE if it is removed or left empty."""
    if path in removed:
        return _GONE
    if path not in touched:
        return value
    if isinstance(value, dict):
        kept = {}
        for k, v in value.items():
            new = _rebuild(v, (*path, k), removed, touched, remap)
            if new is not _GONE:
                kept[k] = new
        return kept if kept else _GONE
    if isinstance(value, list):
        items: list[Any] = []
        mapping: dict[int, int] = {}
        for i, v in enumerate(value):
            new = _rebuild(v, (*path, i), removed, touched, remap)
            if new is _GONE or not _embedded_ok(path, new):
                continue
            mapping[i] = len(items)
            items.append(new)
        remap[path] = mapping
        return items if items else _GONE
    return value


def _embedded_ok(path: _Path, item: Any) -> bool:
    """Is a (possibly reduced) list item still a valid embedded object?"""
    if not isinstance(item, dict) or len(path) != 1:
        return True
    if path[0] == "external_references":
        described = any(k in item for k in ("description", "url", "external_id"))
        return "source_name" in item and described
    if path[0] == "kill_chain_phases":
        return "kill_chain_name" in item and "phase_name" in item
    return True


def _markings(
    markings: Any, out: dict[str, Any], removed: set[_Path], remap: dict[_Path, dict[int, int]]
) -> list[Any]:
    """The granular markings, selectors rewritten to the pruned object (§7.2.3.1)."""
    if not isinstance(markings, list):
        return []
    kept = []
    for marking in markings:
        if not isinstance(marking, dict) or not isinstance(marking.get("selectors"), list):
            kept.append(marking)
            continue
        selectors = []
        for selector in marking["selectors"]:
            new = _moved(_parse(selector), removed, remap)
            if new is not None and selects(out, new):
                selectors.append(new)
        if selectors:
            kept.append({**marking, "selectors": selectors})
    return kept


def _moved(path: _Path, removed: set[_Path], remap: dict[_Path, dict[int, int]]) -> str | None:
    """Where the content at `path` is in the pruned object; None if it was removed."""
    old: _Path = ()
    new: list[str | int] = []
    for part in path:
        if isinstance(part, int) and old in remap:
            index = remap[old].get(part)
            if index is None:
                return None
            new.append(index)
        else:
            new.append(part)
        old = (*old, part)
        if old in removed:
            return None
    return _format(tuple(new))
