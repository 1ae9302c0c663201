"""The sharing decision: what one recipient gets of one object under the publisher's policy.

Pure: no I/O, no clock (ages come from the :class:`~hub.sharing.context.ObjectContext`). Rules
are compiled once per policy into closures and sets; :func:`decide_all` evaluates each rule's
object conditions once per object, then only recipient look-ups per tenant. A :class:`Decider`
keeps what a rule does for each recipient across objects, and ``trail=False`` skips building
the rule-by-rule trail (the write path needs only the verdict, the fields and the references;
:mod:`hub.sharing.explain` needs the trail).

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
from hub.sharing.floor import TLP_RANK, Naming, Party, floor_refusal
from hub.sharing.policy import Policy
from hub.stix.selectors import selects

__all__ = ["Decider", "decide", "decide_all"]

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
    refs: tuple[tuple[str, ...], Mapping[str, RefField]] | None = None


def _evaluate(
    obj: Mapping[str, Any], ctx: ObjectContext, cp: CompiledPolicy, trail: bool = True
) -> _Object:
    """The rules' object conditions on `obj`; ``trail=False``: without the steps of the rules
    that do not match (``template`` left empty)."""
    if ctx.object_id != obj.get("id"):
        raise SharingError(f"context of {ctx.object_id} used for {obj.get('id')}")
    tlp, source = (ctx.tlp, "marking") if ctx.tlp else (cp.default_tlp, "policy default")
    other: list[bool] = []
    template: list[Step | None] = []
    active: list[tuple[int, CompiledRule, str]] = []
    for i, rule in enumerate(cp.rules):
        lenient = rule.effect != "share"  # unknown fails closed: share no, deny/restrict yes
        failure = ""
        assumed: list[str] | None = None
        for check in rule.checks:
            failed = check(ctx)
            if failed is None:
                continue
            unknown, why = failed
            if unknown and lenient:
                assumed = assumed or []
                assumed.append(f"{why}, assumed to match")
                continue
            failure = f"{why} (fails closed)" if unknown else why
            break
        other.append(not failure)
        if failure:
            if trail:
                template.append(Step(rule.name, i, False, "none", failure))
        elif rule.tlp is not None and tlp not in rule.tlp:
            if trail:
                failure = f"TLP:{tlp.upper()} is not one of its TLP levels"
                template.append(Step(rule.name, i, False, "none", failure))
        else:
            if trail:
                template.append(None)
            active.append((i, rule, "; ".join(assumed) if assumed else ""))
    return _Object(obj, ctx, tlp, source, tuple(other), tuple(template), tuple(active))


def decide(
    obj: Mapping[str, Any],
    info: ObjectContext,
    policy: Policy,
    publisher: Party,
    recipient: Party,
    *,
    trail: bool = True,
) -> Decision:
    """What `recipient` gets of `obj`, published by `publisher` under `policy`, and why.

    ``trail=False``: the same decision without its rule-by-rule trail (an empty ``trail``),
    for callers that need only the verdict, the field actions and the references.
    """
    cp = _checked(policy, publisher)
    return _decide(_evaluate(obj, info, cp, trail), cp, publisher, _Reader(recipient), trail)


def decide_all(
    obj: Mapping[str, Any],
    ctx: ObjectContext,
    policy: Policy,
    publisher: Party,
    recipients: Iterable[Party],
    *,
    trail: bool = True,
) -> dict[int, Decision]:
    """:func:`decide` for every recipient (keyed by tenant id), evaluating the object once.

    Called object after object with the same policy, publisher and recipients, it reuses one
    :class:`Decider`.
    """
    global _last
    cp = _checked(policy, publisher)
    readers = tuple(recipients)
    last = _last
    if last is not None and last[0] is cp and last[1] == publisher and last[2] == readers:
        decider = last[3]
    else:
        decider = Decider(policy, publisher, readers)
        _last = (cp, publisher, readers, decider)
    return decider.decide_all(obj, ctx, trail=trail)


class Decider:
    """:func:`decide_all` for many objects of one publisher, one policy and one set of
    recipients: what depends only on a recipient and a rule (how the rule names it, what the
    TLP floor says, the trail step) is worked out once and reused for every object."""

    __slots__ = ("_cp", "_publisher", "_readers")

    def __init__(self, policy: Policy, publisher: Party, recipients: Iterable[Party]) -> None:
        self._cp = _checked(policy, publisher)
        self._publisher = publisher
        self._readers = tuple(_Reader(r) for r in recipients)

    def decide_all(
        self, obj: Mapping[str, Any], ctx: ObjectContext, *, trail: bool = True
    ) -> dict[int, Decision]:
        """Every recipient's decision on `obj` (keyed by tenant id); ``trail`` as for
        :func:`decide`."""
        cp, publisher = self._cp, self._publisher
        ev = _evaluate(obj, ctx, cp, trail)
        return {rd.party.tenant_id: _decide(ev, cp, publisher, rd, trail) for rd in self._readers}


_last: tuple[CompiledPolicy, Party, tuple[Party, ...], Decider] | None = None


def _checked(policy: Policy, publisher: Party) -> CompiledPolicy:
    if policy.tenant != publisher.slug:
        raise SharingError(f"the policy of {policy.tenant} cannot decide for {publisher.slug}")
    return compile_policy(policy)


_PUBLISHER = Step("publisher", None, True, "share", "the publisher gets its own objects in full")
_CLEAR = Step("floor", None, True, "share", "TLP:CLEAR: every tenant may read it")

# What a matching rule does for one recipient at one TLP level: its effect and its trail step
# (without a note on assumed conditions); "none" if the rule does not name the recipient.
_Outcome = tuple[str, Step | None]
_UNNAMED: _Outcome = ("none", None)


class _Reader:
    """One recipient, with what each rule does for it, filled in as the rules are met."""

    __slots__ = ("fields", "names", "outcomes", "party")

    def __init__(self, party: Party) -> None:
        self.party = party
        # on_object -> rule index -> how the rule names the recipient (None: it does not)
        self.names: tuple[dict[int, tuple[Naming, str] | None], ...] = ({}, {})
        # (TLP, on_object) -> rule index -> outcome
        self.outcomes: dict[tuple[str, bool], dict[int, _Outcome]] = {}
        # rule index -> its field actions for the recipient
        self.fields: dict[int, tuple[tuple[str, FieldAction], ...]] = {}

    def field_actions(self, rule: CompiledRule) -> tuple[tuple[str, FieldAction], ...]:
        known = self.fields.get(rule.index)
        if known is None:
            slug = self.party.slug
            known = self.fields[rule.index] = tuple(
                (selector, FieldAction(action, f"{action.value} for {slug}", rule.label))
                for selector, action in rule.fields
            )
        return known

    def named(self, rule: CompiledRule, on_object: bool) -> tuple[Naming, str] | None:
        known = self.names[on_object]
        if rule.index in known:
            return known[rule.index]
        named = known[rule.index] = rule.names(self.party, on_object)
        return named

    def outcome(self, rule: CompiledRule, tlp: str, publisher: Party, on_object: bool) -> _Outcome:
        named = self.named(rule, on_object)
        if named is None:
            return _UNNAMED
        how, shown = named
        i = rule.index
        if rule.effect == "deny":
            return "deny", Step(rule.name, i, True, "deny", f"withholds from {shown}")
        if rule.effect == "restrict":
            return "restrict", Step(rule.name, i, True, "restrict", f"applies to {shown}")
        refusal = floor_refusal(tlp, publisher, self.party, how, named_on_object=on_object)
        if refusal:
            return "capped", Step(rule.name, i, True, "capped", refusal)
        return "share", Step(rule.name, i, True, "share", f"shares with {shown}")


def _decision(
    ev: _Object,
    r: Party,
    granted: bool,
    reason: str,
    trail: tuple[Step, ...],
    fields: dict[str, FieldAction] | None = None,
    refs: tuple[tuple[str, ...], Mapping[str, RefField]] | None = None,
) -> Decision:
    ctx = ev.ctx
    requires, prune = refs or _NO_REFS
    return Decision(
        ctx.object_id, ctx.type, r.tenant_id, r.slug, granted, reason, ev.tlp, ev.tlp_source,
        fields or {}, trail, requires, prune,
    )  # fmt: skip


def _decide(
    ev: _Object, cp: CompiledPolicy, publisher: Party, rd: _Reader, trail: bool
) -> Decision:
    r = rd.party
    if r.tenant_id == publisher.tenant_id:
        ctx = ev.ctx
        return Decision(
            ctx.object_id, ctx.type, r.tenant_id, r.slug, True, _PUBLISHER.reason, ev.tlp,
            ev.tlp_source, {}, (_PUBLISHER,) if trail else (), (), _EMPTY, _NO_REMOVED, True,
        )  # fmt: skip
    on_object = r.identity_id is not None and r.identity_id in ev.ctx.red_recipients
    key = (ev.tlp, on_object)
    outcomes = rd.outcomes.get(key)
    if outcomes is None:
        outcomes = rd.outcomes[key] = {}
    # the steps of rules that do not match are the same for all
    steps: list[Step | None] | None = list(ev.template) if trail else None
    deny: CompiledRule | None = None
    grants: list[CompiledRule] = []
    restricts: list[CompiledRule] = []
    capped = ""
    needs_refs = False
    for i, rule, note in ev.active:
        out = outcomes.get(i)
        if out is None:
            out = outcomes[i] = rd.outcome(rule, ev.tlp, publisher, on_object)
        effect, step = out
        if step is None:
            if steps is not None:
                steps[i] = rule.unnamed
            continue
        if effect == "share":
            grants.append(rule)
            needs_refs = needs_refs or rule.require_refs
        elif effect == "deny":
            deny = deny or rule
        elif effect == "restrict":
            restricts.append(rule)
        else:
            capped = capped or step.reason
        if steps is not None:
            if note and effect != "capped":  # conditions assumed to hold: say so
                step = Step(rule.name, i, True, effect, f"{step.reason} ({note})")
            steps[i] = step
    done = tuple(cast(list[Step], steps)) if steps is not None else ()
    if deny is not None:
        return _decision(ev, r, False, f"denied by {deny.label} (deny wins)", done)
    if grants:
        reason = f"shared by {grants[0].label}"
    elif ev.tlp == "clear":
        reason = _CLEAR.reason
        done = (*done, _CLEAR) if trail else done
    else:
        why = capped or f"no rule shares it with {r.slug}"
        return _decision(ev, r, False, f"not shared: {why} (default deny)", done)
    fields = _field_actions(ev, cp, publisher, rd, on_object, grants, restricts)
    withhold = _must_withhold(ev, fields) if fields else None
    if withhold:
        if trail:
            done = (*done, Step("fields", None, True, "withhold", withhold))
        return _decision(ev, r, False, withhold, done)
    refs = _refs(ev) if needs_refs or not grants else None
    return _decision(ev, r, True, reason, done, fields, refs)


_EMPTY: Mapping[str, Any] = MappingProxyType({})
_NO_REMOVED: Mapping[str, frozenset[str]] = MappingProxyType({})
_NO_REFS: tuple[tuple[str, ...], Mapping[str, RefField]] = ((), _EMPTY)


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
    rd: _Reader,
    on_object: bool,
    grants: list[CompiledRule],
    restricts: list[CompiledRule],
) -> dict[str, FieldAction]:
    fields: dict[str, FieldAction] = {}
    for rule in (*grants, *restricts):
        if not rule.fields:
            continue
        for selector, fa in rd.field_actions(rule):
            if _present(ev, selector):
                _merge(fields, selector, fa)
    rank = TLP_RANK[ev.tlp]
    for level, selectors in ev.ctx.granular:
        if TLP_RANK[level] <= rank:
            continue
        refusal = _level_refusal(ev, cp, publisher, rd, on_object, level)
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
    ev: _Object, cp: CompiledPolicy, publisher: Party, rd: _Reader, on_object: bool, level: str
) -> str | None:
    """Why a part of the object marked `level` may not reach `r`; None if some rule shares it."""
    candidates = ev.by_level.get(level)
    if candidates is None:  # the rules that would match the object were it marked `level`
        candidates = ev.by_level[level] = tuple(
            rule
            for rule, ok in zip(cp.rules, ev.other, strict=True)
            if ok and (rule.tlp is None or level in rule.tlp) and rule.effect != "restrict"
        )
    r = rd.party
    refusals: list[str] = []
    shared = False
    for rule in candidates:
        named = rd.named(rule, on_object)
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


def _refs(ev: _Object) -> tuple[tuple[str, ...], Mapping[str, RefField]] | None:
    """requires_refs/prune_refs (the caller skips this if every granting rule says
    require_refs: false)."""
    if ev.refs is None:
        refs = ev.ctx.refs
        requires = tuple(f.ids[0] for f in refs.values() if f.single and f.required)
        prune: dict[str, RefField] = {
            p: f for p, f in refs.items() if not (f.single and f.required)
        }
        ev.refs = (requires, MappingProxyType(prune)) if refs else _NO_REFS
    return ev.refs
