"""The sharing decision: what one recipient gets of one object under the publisher's policy.

Pure: no I/O, no clock (ages come from the :class:`~hub.sharing.context.ObjectContext`). Rules
are compiled once per policy into closures and sets; :func:`decide_all` evaluates each rule's
object conditions once per object, then only recipient look-ups per tenant.

The order of a decision (DESIGN.md "TLP 2.0 is the floor"; FIRST TLP 2.0; STIX 2.1 §7.2):

1. The publisher always gets its own objects in full.
2. The object's TLP is its TLP marking, else the policy's ``default_tlp`` (recorded, never CLEAR).
3. Every rule is evaluated. A matching ``deny`` that names the recipient withholds the object
   (deny wins, also over TLP:CLEAR). A matching ``share`` grants it if TLP 2.0 lets the rule's
   way of naming the recipient reach that level (:func:`~hub.sharing.floor.floor_refusal`).
   With no grant, TLP:CLEAR objects go to everyone; anything else is not shared.
4. Field actions of the granting and ``restrict`` rules combine; the most restrictive wins.
5. Granular TLP markings (§7.2.3) stricter than the object are fields at that level: they stay
   only if some rule would share an object of that level with the recipient, else they are
   redacted. Required properties are never removed: if an action must remove one, the object
   is withheld instead.
6. References (§3.3) are listed for :func:`~hub.sharing.decision.resolve_references`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, cast

from hub.sharing.compile import CompiledPolicy, CompiledRule, compile_policy
from hub.sharing.context import ObjectContext, RefField, stix_constraint_violation, together
from hub.sharing.decision import Action, Decision, FieldAction, SharingError, Step
from hub.sharing.extension import RED_RECIPIENTS_EXTENSION_ID
from hub.sharing.floor import TLP_RANK, Party, floor_refusal
from hub.sharing.policy import Policy
from hub.stix.selectors import selects

__all__ = ["decide", "decide_all"]

_RED_EXT = f"extensions.{RED_RECIPIENTS_EXTENSION_ID}"
_HOLD = "object conditions hold"


@dataclass(slots=True)
class _Object:
    """Per-object results shared by the decisions of every recipient."""

    obj: Mapping[str, Any]
    ctx: ObjectContext
    tlp: str
    tlp_source: str
    other: tuple[bool, ...]  # per rule: its conditions other than TLP hold
    template: tuple[Step | None, ...]  # per rule: its step if it does not match the object
    active: tuple[tuple[int, CompiledRule, str], ...]  # rules that match, conditions assumed
    present: dict[str, bool] = field(default_factory=dict)
    by_level: dict[str, tuple[CompiledRule, ...]] = field(default_factory=dict)
    refs: dict[str, Any] | None = None


def _evaluate(obj: Mapping[str, Any], ctx: ObjectContext, cp: CompiledPolicy) -> _Object:
    if ctx.object_id != obj.get("id"):
        raise SharingError(f"context of {ctx.object_id} used for {obj.get('id')}")
    tlp, source = (ctx.tlp, "marking") if ctx.tlp else (cp.default_tlp, "policy default")
    other: list[bool] = []
    template: list[Step | None] = []
    active: list[tuple[int, CompiledRule, str]] = []
    for i, rule in enumerate(cp.rules):
        lenient = rule.effect != "share"  # unknown fails closed: share no, deny/restrict yes
        failure, assumed = "", []
        for check in rule.checks:
            failed = check(ctx)
            if failed is None:
                continue
            unknown, why = failed
            if unknown and lenient:
                assumed.append(f"{why}, assumed to match")
                continue
            failure = f"{why} (fails closed)" if unknown else why
            break
        other.append(not failure)
        if not failure and rule.tlp is not None and tlp not in rule.tlp:
            failure = f"TLP:{tlp.upper()} is not one of its TLP levels"
        if failure:
            template.append(Step(rule.name, i, False, "none", failure))
        else:
            template.append(None)
            active.append((i, rule, "; ".join(assumed)))
    return _Object(obj, ctx, tlp, source, tuple(other), tuple(template), tuple(active))


def decide(
    obj: Mapping[str, Any],
    info: ObjectContext,
    policy: Policy,
    publisher: Party,
    recipient: Party,
) -> Decision:
    """What `recipient` gets of `obj`, published by `publisher` under `policy`, and why."""
    cp = _checked(policy, publisher)
    return _decide(_evaluate(obj, info, cp), cp, publisher, recipient)


def decide_all(
    obj: Mapping[str, Any],
    ctx: ObjectContext,
    policy: Policy,
    publisher: Party,
    recipients: Iterable[Party],
) -> dict[int, Decision]:
    """:func:`decide` for every recipient (keyed by tenant id), evaluating the object once."""
    cp = _checked(policy, publisher)
    ev = _evaluate(obj, ctx, cp)
    return {r.tenant_id: _decide(ev, cp, publisher, r) for r in recipients}


def _checked(policy: Policy, publisher: Party) -> CompiledPolicy:
    if policy.tenant != publisher.slug:
        raise SharingError(f"the policy of {policy.tenant} cannot decide for {publisher.slug}")
    return compile_policy(policy)


_PUBLISHER = Step("publisher", None, True, "share", "the publisher gets its own objects in full")
_CLEAR = Step("floor", None, True, "share", "TLP:CLEAR: every tenant may read it")


def _decision(
    ev: _Object,
    r: Party,
    granted: bool,
    reason: str,
    trail: list[Step],
    fields: dict[str, FieldAction] | None = None,
    refs: dict[str, Any] | None = None,
) -> Decision:
    ctx = ev.ctx
    return Decision(
        ctx.object_id, ctx.type, r.tenant_id, r.slug, granted, reason, ev.tlp, ev.tlp_source,
        fields or {}, tuple(trail), **(refs or {}),
    )  # fmt: skip


def _decide(ev: _Object, cp: CompiledPolicy, publisher: Party, r: Party) -> Decision:
    if r.tenant_id == publisher.tenant_id:
        return _decision(ev, r, True, _PUBLISHER.reason, [_PUBLISHER], {}, _FULL)
    on_object = r.identity_id is not None and r.identity_id in ev.ctx.red_recipients
    trail = list(ev.template)  # the steps of rules that do not match are the same for all
    deny: CompiledRule | None = None
    grants: list[CompiledRule] = []
    restricts: list[CompiledRule] = []
    capped = ""
    for i, rule, note in ev.active:
        named = rule.names(r, on_object)
        if named is None:
            trail[i] = rule.unnamed
            continue
        how, shown = named
        if note:  # conditions assumed to hold: say so
            shown = f"{shown} ({note})"
        if rule.effect == "deny":
            deny = deny or rule
            trail[i] = Step(rule.name, i, True, "deny", f"withholds from {shown}")
        elif rule.effect == "restrict":
            restricts.append(rule)
            trail[i] = Step(rule.name, i, True, "restrict", f"applies to {shown}")
        elif refusal := floor_refusal(ev.tlp, publisher, r, how, named_on_object=on_object):
            capped = capped or refusal
            trail[i] = Step(rule.name, i, True, "capped", refusal)
        else:
            grants.append(rule)
            trail[i] = Step(rule.name, i, True, "share", f"shares with {shown}")
    steps = cast(list[Step], trail)  # every active rule's step is filled in
    if deny is not None:
        return _decision(ev, r, False, f"denied by {deny.label} (deny wins)", steps)
    if grants:
        reason = f"shared by {grants[0].label}"
    elif ev.tlp == "clear":
        reason = _CLEAR.reason
        steps.append(_CLEAR)
    else:
        why = capped or f"no rule shares it with {r.slug}"
        return _decision(ev, r, False, f"not shared: {why} (default deny)", steps)
    fields = _field_actions(ev, cp, publisher, r, on_object, grants, restricts)
    withhold = _must_withhold(ev, fields) if fields else None
    if withhold:
        steps.append(Step("fields", None, True, "withhold", withhold))
        return _decision(ev, r, False, withhold, steps)
    return _decision(ev, r, True, reason, steps, fields, _refs(ev, grants))


_FULL: dict[str, Any] = {"removed_refs": MappingProxyType({}), "full": True}


def _merge(fields: dict[str, FieldAction], selector: str, action: FieldAction) -> None:
    current = fields.get(selector)
    if current is None or action.action.rank > current.action.rank:
        fields[selector] = action


def _present(ev: _Object, selector: str) -> bool:
    hit = ev.present.get(selector)
    if hit is None:
        hit = ev.present[selector] = selects(dict(ev.obj), selector)
    return hit


def _field_actions(
    ev: _Object,
    cp: CompiledPolicy,
    publisher: Party,
    r: Party,
    on_object: bool,
    grants: list[CompiledRule],
    restricts: list[CompiledRule],
) -> dict[str, FieldAction]:
    fields: dict[str, FieldAction] = {}
    for rule in (*grants, *restricts):
        for selector, action in rule.fields:
            if _present(ev, selector):
                reason = f"{action.value} for {r.slug}"
                _merge(fields, selector, FieldAction(action, reason, rule.label))
    rank = TLP_RANK[ev.tlp]
    for level, selectors in ev.ctx.granular:
        if TLP_RANK[level] <= rank:
            continue
        refusal = _level_refusal(ev, cp, publisher, r, on_object, level)
        if refusal is None:
            continue
        marking = FieldAction(Action.REDACT, refusal, f"granular marking TLP:{level.upper()}")
        for selector in selectors:
            _merge(fields, selector, marking)
    if ev.ctx.red_recipients and not on_object and _present(ev, _RED_EXT):
        reason = "the TLP:RED recipient list is shown only to the recipients it names"
        _merge(fields, _RED_EXT, FieldAction(Action.REDACT, reason, "hub"))
    for selector in [s for s, a in fields.items() if a.action is not Action.SHARE]:
        if "." not in selector:
            for companion in together(ev.ctx.type, selector) - {selector}:
                if companion in ev.obj and companion not in fields:
                    reason = f"goes with {selector}"
                    fields[companion] = FieldAction(fields[selector].action, reason, "stix")
    return fields


def _level_refusal(
    ev: _Object, cp: CompiledPolicy, publisher: Party, r: Party, on_object: bool, level: str
) -> str | None:
    """Why a part of the object marked `level` may not reach `r`; None if some rule shares it."""
    candidates = ev.by_level.get(level)
    if candidates is None:  # the rules that would match the object were it marked `level`
        candidates = ev.by_level[level] = tuple(
            rule
            for rule, ok in zip(cp.rules, ev.other, strict=True)
            if ok and (rule.tlp is None or level in rule.tlp) and rule.effect != "restrict"
        )
    refusals: list[str] = []
    shared = False
    for rule in candidates:
        named = rule.names(r, on_object)
        if named is None:
            continue
        if rule.effect == "deny":  # (one without TLP levels has withheld the whole object)
            return f"TLP:{level.upper()} content is denied by {rule.label}"
        if not shared:
            refusal = floor_refusal(level, publisher, r, named[0], named_on_object=on_object)
            shared = refusal is None
            refusals.extend([refusal] if refusal else [])
    if shared:
        return None
    return refusals[0] if refusals else f"no rule shares TLP:{level.upper()} content with {r.slug}"


def _must_withhold(ev: _Object, fields: Mapping[str, FieldAction]) -> str | None:
    """Why the actions cannot be carried out without breaking the object, or None."""
    removed: set[str] = set()
    for selector, action in fields.items():
        if action.action is Action.SHARE:
            continue
        top = selector.split(".", 1)[0]
        if top in ev.ctx.required:
            return (
                f"withheld: {selector} must be removed ({action.reason}) but {top} is required "
                f"by STIX 2.1 for {ev.ctx.type}"
            )
        if top in ("object_marking_refs", "granular_markings"):
            return f"withheld: {selector} must be removed but data markings travel with the data"
        if top == selector:
            removed.add(top)
    problem = stix_constraint_violation(ev.ctx.type, set(ev.obj), removed)
    return f"withheld: {problem}" if problem else None


def _refs(ev: _Object, grants: list[CompiledRule]) -> dict[str, Any]:
    """requires_refs/prune_refs, unless every granting rule says require_refs: false."""
    if grants and not any(rule.require_refs for rule in grants):
        return {}
    if ev.refs is None:
        refs = ev.ctx.refs
        requires = tuple(f.ids[0] for f in refs.values() if f.single and f.required)
        prune: dict[str, RefField] = {
            p: f for p, f in refs.items() if not (f.single and f.required)
        }
        ev.refs = {"requires_refs": requires, "prune_refs": MappingProxyType(prune)} if refs else {}
    return ev.refs
