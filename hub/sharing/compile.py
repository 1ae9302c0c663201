"""Compiling a sharing policy: each rule's conditions become closures over frozen sets.

Compiled once per policy object (policies are frozen), so that deciding
for one object costs one call per condition and rule, and per recipient a few set look-ups.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hub.sharing.context import ObjectContext
from hub.sharing.decision import Action, Step
from hub.sharing.floor import Naming, Party
from hub.sharing.policy import Match, Policy, Rule

__all__ = ["CompiledPolicy", "CompiledRule", "compile_policy"]

# A check returns None when the condition holds, else (unknown, why not).
_Check = Callable[[ObjectContext], tuple[bool, str] | None]


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """One rule, ready to evaluate."""

    index: int
    name: str
    label: str
    effect: str
    checks: tuple[_Check, ...]
    tlp: frozenset[str] | None
    tenants: frozenset[str]
    communities: frozenset[str]
    kinds: frozenset[str]
    everyone: bool
    named_on_object: bool
    fields: tuple[tuple[str, Action], ...]
    require_refs: bool
    unnamed: Step  # the trail step for a recipient the rule does not name

    def names(self, r: Party, on_object: bool) -> tuple[Naming, str] | None:
        """How this rule names recipient `r`, most individual first; None if it does not."""
        if r.slug in self.tenants:
            return "tenant", f"tenant {r.slug}"
        if self.named_on_object and on_object:
            return "object", "named on the object"
        common = self.communities & r.communities
        if common:
            return "community", f"community {min(common)}"
        if r.kind in self.kinds:
            return "kind", f"kind {r.kind}"
        if self.everyone:
            return "everyone", "everyone"
        return None


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """A policy's rules as closures and sets (:func:`compile_policy`)."""

    tenant: str
    default_tlp: str
    rules: tuple[CompiledRule, ...]


def _in(attr: str, allowed: Iterable[str], what: str) -> _Check:
    values = frozenset(allowed)
    shown = ", ".join(sorted(values))

    def check(c: ObjectContext) -> tuple[bool, str] | None:
        v = getattr(c, attr)
        return None if v in values else (False, f"{what} {v or '(none)'} is not one of {shown}")

    return check


def _checks(m: Match) -> tuple[_Check, ...]:
    checks: list[_Check] = []
    if m.types is not None:
        checks.append(_in("type", m.types, "type"))
    if m.collections is not None:
        checks.append(_in("collection", m.collections, "collection"))
    if m.labels is not None:
        any_of, all_of = frozenset(m.labels.any_of), frozenset(m.labels.all_of)
        none_of = frozenset(m.labels.none_of)

        def labels(c: ObjectContext) -> tuple[bool, str] | None:
            if any_of and not any_of & c.labels:
                return False, f"labels has none of {', '.join(sorted(any_of))}"
            if not all_of <= c.labels:
                return False, f"labels lacks {', '.join(sorted(all_of - c.labels))}"
            if none_of & c.labels:
                return False, f"labels has {', '.join(sorted(none_of & c.labels))}"
            return None

        checks.append(labels)
    if m.confidence is not None:
        lo, hi = m.confidence.min, m.confidence.max

        def confidence(c: ObjectContext) -> tuple[bool, str] | None:
            if c.confidence is None:
                return True, "confidence is unknown"
            if lo <= c.confidence <= hi:
                return None
            return False, f"confidence {c.confidence} is outside {lo}-{hi}"

        checks.append(confidence)
    if m.max_age_days is not None or m.min_age_days is not None:
        prop, oldest, newest = m.age_of, m.max_age_days, m.min_age_days

        def age(c: ObjectContext) -> tuple[bool, str] | None:
            days = c.age_days.get(prop)
            if days is None:
                return True, f"{prop} is unknown"
            if oldest is not None and days > oldest:
                return False, f"{prop} {days:.1f} days ago, more than {oldest:g}"
            if newest is not None and days < newest:
                return False, f"{prop} {days:.1f} days ago, less than {newest:g}"
            return None

        checks.append(age)
    if m.relationship_types is not None:
        checks.append(_in("relationship_type", m.relationship_types, "relationship_type"))
    if m.source_types is not None:
        checks.append(_in("source_type", m.source_types, "source_ref type"))
    if m.target_types is not None:
        checks.append(_in("target_type", m.target_types, "target_ref type"))
    if m.sighting_of_types is not None:
        checks.append(_in("sighting_of_type", m.sighting_of_types, "sighting_of_ref type"))
    if m.where_sighted_types is not None:
        where = frozenset(m.where_sighted_types)

        def where_sighted(c: ObjectContext) -> tuple[bool, str] | None:
            if where & c.where_sighted_types:
                return None
            return False, f"no where_sighted_refs of type {', '.join(sorted(where))}"

        checks.append(where_sighted)
    return tuple(checks)


def _compile_rule(i: int, rule: Rule) -> CompiledRule:
    r = rule.recipients
    tlp = None
    if rule.match.tlp is not None:
        tlp = frozenset("clear" if t == "white" else t for t in rule.match.tlp)
    return CompiledRule(
        index=i,
        name=rule.name,
        label=f"rule #{i} '{rule.name}'",
        effect=rule.effect,
        checks=_checks(rule.match),
        tlp=tlp,
        tenants=frozenset(r.tenants),
        communities=frozenset(r.communities),
        kinds=frozenset(r.kinds),
        everyone=r.everyone,
        named_on_object=r.named_on_object,
        fields=tuple((s, Action(a)) for s, a in rule.fields.items()),
        require_refs=rule.require_refs,
        unnamed=Step(rule.name, i, False, "none", "the recipient is not among its recipients"),
    )


_cache: dict[int, tuple[weakref.ref[Policy], CompiledPolicy]] = {}


def compile_policy(policy: Policy) -> CompiledPolicy:
    """The compiled form of `policy`, cached while the (frozen) policy object lives."""
    key = id(policy)
    hit = _cache.get(key)
    if hit is not None and hit[0]() is policy:
        return hit[1]
    rules = tuple(_compile_rule(i, rule) for i, rule in enumerate(policy.rules))
    compiled = CompiledPolicy(policy.tenant, policy.default_tlp, rules)
    _cache[key] = (weakref.ref(policy, lambda _: _cache.pop(key, None)), compiled)
    return compiled
