"""Every decision is explainable (DESIGN.md): what a recipient gets of an object, and why.

:func:`explain` renders a :class:`~hub.sharing.decision.Decision` as lines for people (the CLI,
the console, audit records); :func:`explain_data` as JSON-ready data for the policy API. Both
go rule by rule (the trail) and field by field (the field actions).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.sharing.decision import Action, Decision, Step

__all__ = ["explain", "explain_data", "property_outcomes"]

_MARK = {
    "share": "shares",
    "deny": "DENIES",
    "restrict": "restricts",
    "capped": "capped",
    "none": "no",
    "withhold": "WITHHOLDS",
}


def explain(decision: Decision) -> list[str]:
    """Lines for people: the verdict, the TLP, each rule, each field, the references."""
    d = decision
    verdict = "GETS" if d.granted else "does NOT get"
    lines = [f"{d.recipient} {verdict} {d.object_id}: {d.reason}"]
    if d.tlp_source == "marking":
        lines.append(f"TLP:{d.tlp.upper()} (the object's marking)")
    else:
        lines.append(f"TLP:{d.tlp.upper()} ({d.tlp_source}: the object carries no TLP marking)")
    for step in d.trail:
        where = step.rule if step.rule_index is None else f"rule #{step.rule_index} '{step.rule}'"
        lines.append(f"  {where}: {_MARK.get(step.effect, step.effect)} - {step.reason}")
    if d.granted:
        if not d.fields:
            lines.append("  fields: every field as published")
        for selector, fa in sorted(d.fields.items()):
            note = ""
            if fa.action is Action.ENCRYPT:
                note = " (removed until field encryption to recipients is available)"
            lines.append(f"  field {selector}: {fa.action.value}{note} - {fa.reason} [{fa.source}]")
        if d.requires_refs:
            lines.append(f"  requires: {', '.join(d.requires_refs)}")
        for prop in sorted(d.prune_refs):
            gone = (d.removed_refs or {}).get(prop)
            state = "not yet resolved" if d.removed_refs is None else f"{len(gone or ())} removed"
            lines.append(f"  references {prop}: pruned to what {d.recipient} may see ({state})")
    return lines


def explain_data(decision: Decision, obj: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The same explanation as JSON-ready data.

    Each step of the trail says whether it ``decides`` the verdict. Given the object, the data
    also has its ``properties``: what the recipient gets of each top-level property
    (:func:`property_outcomes`).
    """
    d = decision
    data: dict[str, Any] = {
        "object_id": d.object_id,
        "object_type": d.object_type,
        "recipient": d.recipient,
        "granted": d.granted,
        "reason": d.reason,
        "tlp": d.tlp,
        "tlp_source": d.tlp_source,
        "trail": [
            {
                "rule": s.rule,
                "rule_index": s.rule_index,
                "matched": s.matched,
                "effect": s.effect,
                "reason": s.reason,
                "decides": _decides(d, s),
            }
            for s in d.trail
        ],
        "fields": {
            sel: {"action": fa.action.value, "reason": fa.reason, "source": fa.source}
            for sel, fa in sorted(d.fields.items())
        },
        "requires_refs": list(d.requires_refs),
        "prune_refs": sorted(d.prune_refs),
        "removed_refs": None
        if d.removed_refs is None
        else {p: sorted(ids) for p, ids in sorted(d.removed_refs.items())},
    }
    if obj is not None:
        data["properties"] = property_outcomes(d, obj)
    return data


def _decides(d: Decision, step: Step) -> bool:
    """Did `step` decide the verdict? The rule the reason names (the first rule that shares, or
    the deny that wins), or the floor, publisher, field or reference step whose reason it is."""
    if not step.matched or step.effect in ("none", "restrict"):
        return False
    if step.rule_index is not None and step.effect in ("share", "deny"):
        return f"rule #{step.rule_index} '{step.rule}'" in d.reason
    return step.reason in d.reason


def property_outcomes(d: Decision, obj: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What the recipient gets of each top-level property of `obj` (STIX 2.1 §7.2.3.1
    selectors), in the object's order: ``outcome`` is ``kept``, ``redact``, ``encrypt``,
    ``partly`` (an action on part of it: ``parts`` name them) or ``pruned`` (references it may
    not see removed: ``removed`` lists them). Empty if the recipient does not get the object."""
    if not d.granted:
        return []
    removed = d.removed_refs or {}
    out: list[dict[str, Any]] = []
    for prop in obj:
        entry: dict[str, Any] = {"property": prop, "outcome": "kept", "reason": ""}
        action = d.fields.get(prop)
        parts = {
            sel: fa.action.value
            for sel, fa in sorted(d.fields.items())
            if sel.startswith(f"{prop}.") and fa.action is not Action.SHARE
        }
        if action is not None and action.action is not Action.SHARE:
            entry |= {"outcome": action.action.value, "reason": action.reason}
        elif parts:
            entry |= {"outcome": "partly", "parts": parts}
        elif removed.get(prop):
            gone = sorted(removed[prop])
            reason = f"{len(gone)} reference(s) it may not see removed"
            entry |= {"outcome": "pruned", "reason": reason, "removed": gone}
        out.append(entry)
    return out
