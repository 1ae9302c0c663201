"""The sharing-policy language: one ``policies/<tenant>.yaml`` per publishing tenant.

A policy is an ordered list of named rules. Each rule matches objects (type, TLP, labels,
confidence, collection, age, the types at the ends of relationships and sightings), names
recipients (tenants, communities, kinds of tenant, everyone, or whoever the object itself names
for TLP:RED) and has an effect: ``share`` (grant, with field actions), ``deny`` (withhold; deny
wins) or ``restrict`` (field actions only). What no rule shares is not shared, except TLP:CLEAR.
TLP 2.0 (FIRST) caps every rule: :func:`hub.sharing.floor.floor_refusal`.

Field actions name STIX properties with granular-marking selector syntax (STIX 2.1 §7.2.3.1):
``description``, ``external_references``, ``external_references.[0].url``. Properties STIX
requires (per type) and data markings (§7.2) cannot be redacted or encrypted.

The engine and the loader use these very models; :func:`policy_json_schema` is the JSON Schema
editors validate ``policies/*.yaml`` against (``policies/schema.json``).
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from hub.sharing.context import COMMON_REQUIRED, PROTECTED_PROPERTIES, REQUIRED_PROPERTIES
from hub.sharing.protect import protect_problem

__all__ = [
    "FieldActionName",
    "LabelMatch",
    "Match",
    "Policy",
    "Range",
    "Recipients",
    "Rule",
    "TlpName",
    "policy_json_schema",
]

TlpName = Literal["clear", "white", "green", "amber", "amber+strict", "red"]
DefaultTlp = Literal["green", "amber", "amber+strict", "red"]
FieldActionName = Literal["share", "redact", "encrypt"]
Effect = Literal["share", "deny", "restrict"]
RecipientKind = Literal["national-cell", "partner"]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,62}[a-z0-9]$")]
RuleName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")]
TypeName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")]
SELECTOR_PATTERN = r"^[a-z][a-z0-9_]*(\.(\[[0-9]+\]|[^.\[\]]+))*$"
Selector = Annotated[str, StringConstraints(pattern=SELECTOR_PATTERN)]
_SELECTOR = re.compile(SELECTOR_PATTERN)
ProtectType = Annotated[str, StringConstraints(pattern=r"^(\*|[a-z][a-z0-9]*(-[a-z0-9]+)*)$")]
ProtectSelector = Annotated[str, StringConstraints(pattern=r"^(x_\*|[a-z][a-z0-9_]*)$")]
_END_CONDITIONS = {
    "relationship_types": "relationship",
    "source_types": "relationship",
    "target_types": "relationship",
    "sighting_of_types": "sighting",
    "where_sighted_types": "sighting",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LabelMatch(_Strict):
    """Conditions on the object's ``labels`` (§3.2); every given condition must hold."""

    any_of: list[str] = Field(default_factory=list, description="At least one of these.")
    all_of: list[str] = Field(default_factory=list, description="All of these.")
    none_of: list[str] = Field(default_factory=list, description="None of these.")

    @model_validator(mode="after")
    def _not_empty(self) -> LabelMatch:
        if not (self.any_of or self.all_of or self.none_of):
            raise ValueError("give at least one of any_of, all_of, none_of")
        return self


class Range(_Strict):
    """An inclusive range of ``confidence`` (§3.2, 0-100)."""

    min: int = Field(default=0, ge=0, le=100)
    max: int = Field(default=100, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class Match(_Strict):
    """Which objects a rule applies to: every condition given must hold (absent: any).

    A condition the object cannot answer (no ``confidence``, no ``created``) fails closed: a
    ``share`` rule does not match, a ``deny`` or ``restrict`` rule does.
    """

    types: list[TypeName] | None = Field(default=None, min_length=1, description="STIX types.")
    tlp: list[TlpName] | None = Field(
        default=None,
        min_length=1,
        description="TLP levels of the object (unmarked: the policy's default_tlp). "
        "White is TLP 1.0 for clear.",
    )
    labels: LabelMatch | None = None
    confidence: Range | None = None
    collections: list[Slug] | None = Field(
        default=None, min_length=1, description="Aliases of the collections published to."
    )
    age_of: Literal["created", "modified"] = Field(
        default="modified", description="Which timestamp min/max_age_days measure from."
    )
    max_age_days: float | None = Field(default=None, gt=0)
    min_age_days: float | None = Field(default=None, ge=0)
    relationship_types: list[str] | None = Field(default=None, min_length=1)
    source_types: list[TypeName] | None = Field(
        default=None, min_length=1, description="Relationships: type of the source_ref."
    )
    target_types: list[TypeName] | None = Field(
        default=None, min_length=1, description="Relationships: type of the target_ref."
    )
    sighting_of_types: list[TypeName] | None = Field(
        default=None, min_length=1, description="Sightings: type of the sighting_of_ref."
    )
    where_sighted_types: list[TypeName] | None = Field(
        default=None, min_length=1, description="Sightings: a where_sighted_refs type."
    )

    @model_validator(mode="after")
    def _ages_ordered(self) -> Match:
        if (
            self.min_age_days is not None
            and self.max_age_days is not None
            and self.min_age_days > self.max_age_days
        ):
            raise ValueError("min_age_days is greater than max_age_days")
        return self


class Recipients(_Strict):
    """Who a rule is about; a recipient matches if any selector names it."""

    tenants: list[Slug] = Field(default_factory=list, description="Tenant slugs.")
    communities: list[Slug] = Field(default_factory=list, description="Community slugs.")
    kinds: list[RecipientKind] = Field(default_factory=list, description="Kinds of tenant.")
    everyone: bool = Field(default=False, description="Every tenant (CLEAR and GREEN only).")
    named_on_object: bool = Field(
        default=False,
        description="The tenants the object's TLP:RED recipients extension names.",
    )

    @model_validator(mode="after")
    def _names_someone(self) -> Recipients:
        if not (
            self.tenants or self.communities or self.kinds or self.everyone or self.named_on_object
        ):
            raise ValueError(
                "name recipients: tenants, communities, kinds, everyone or named_on_object"
            )
        return self


def _problem(loc: tuple[str | int, ...], code: str, message: str, value: Any) -> InitErrorDetails:
    return InitErrorDetails(
        type=PydanticCustomError(code, message.replace("{", "{{").replace("}", "}}")),
        loc=loc,
        input=value,
    )


class Rule(_Strict):
    """One rule: conditions on the object, recipients, an effect and field actions."""

    name: RuleName = Field(description="Unique in the policy; shown in every explanation.")
    description: str = Field(default="", max_length=2000, description="Why the rule exists.")
    effect: Effect = Field(description="share (grant), deny (withhold; wins) or restrict.")
    match: Match = Field(default_factory=Match, description="Absent: every object.")
    recipients: Recipients
    fields: dict[Selector, FieldActionName] = Field(
        default_factory=dict,
        description="STIX selector (§7.2.3.1) -> share, redact or encrypt, for these recipients.",
        json_schema_extra={"additionalProperties": False},  # keys must be selectors
    )
    require_refs: bool = Field(
        default=True,
        description="Share relationships, sightings and reports only with recipients that may "
        "see what they refer to (false: share the references regardless).",
    )

    @model_validator(mode="after")
    def _coherent(self) -> Rule:
        problems = [*self._effect_problems(), *self._end_problems(), *self._field_problems()]
        if problems:
            raise ValidationError.from_exception_data("Rule", problems)
        return self

    def _effect_problems(self) -> list[InitErrorDetails]:
        out = []
        if self.effect == "deny" and self.fields:
            msg = "a deny rule withholds the whole object; it takes no field actions"
            out.append(_problem(("fields",), "deny_fields", msg, self.fields))
        if self.effect == "deny" and not self.require_refs:
            msg = "require_refs applies to share rules only"
            out.append(_problem(("require_refs",), "deny_refs", msg, False))
        if self.effect == "restrict" and not self.fields:
            msg = "a restrict rule needs field actions (fields)"
            out.append(_problem(("fields",), "restrict_fields", msg, {}))
        if self.effect == "share" and self.match.tlp:
            r = self.recipients
            individual = bool(r.tenants or r.named_on_object)
            levels = {"clear" if t == "white" else t for t in self.match.tlp}
            if levels <= {"amber+strict", "red"} and not individual:
                msg = (
                    f"TLP {', '.join(sorted(levels))} goes only to organisations named "
                    "individually (tenants or named_on_object); this rule can never share"
                )
                out.append(_problem(("recipients",), "never_shares", msg, None))
            elif levels == {"amber"} and not (individual or r.communities or r.kinds):
                msg = "TLP:AMBER never goes to everyone; this rule can never share"
                out.append(_problem(("recipients",), "never_shares", msg, None))
        return out

    def _end_problems(self) -> list[InitErrorDetails]:
        out = []
        for condition, sro in _END_CONDITIONS.items():
            if getattr(self.match, condition) is not None and self.match.types != [sro]:
                msg = f"{condition} applies to {sro}s only: give types: [{sro}]"
                out.append(_problem(("match", condition), "end_types", msg, None))
        return out

    def _field_problems(self) -> list[InitErrorDetails]:
        out = []
        types = self.match.types
        for selector, action in self.fields.items():
            top = selector.split(".", 1)[0]
            loc: tuple[str | int, ...] = ("fields", selector)
            if top in PROTECTED_PROPERTIES:
                msg = f"{top} carries data markings (STIX 2.1 §7.2), which travel with the data"
                out.append(_problem(loc, "protected_field", msg, selector))
                continue
            if action == "share":
                continue
            if types is None:
                needing = sorted(t for t, req in REQUIRED_PROPERTIES.items() if top in req)
                if top in COMMON_REQUIRED or needing:
                    msg = (
                        f"{top} is required by STIX 2.1 for {', '.join(needing) or 'every SDO'} "
                        f"and cannot be {action}ed; restrict the rule with match.types"
                    )
                    out.append(_problem(loc, "required_field", msg, selector))
                continue
            needing = [t for t in types if top in REQUIRED_PROPERTIES.get(t, COMMON_REQUIRED)]
            if needing:
                msg = (
                    f"{top} is required by STIX 2.1 for {', '.join(needing)} "
                    f"and cannot be {action}ed"
                )
                out.append(_problem(loc, "required_field", msg, selector))
        return out


class Policy(_Strict):
    """A publishing tenant's sharing policy: ``policies/<tenant>.yaml``."""

    tenant: Slug = Field(description="The publishing tenant this policy belongs to.")
    description: str = Field(default="", max_length=4000)
    default_tlp: DefaultTlp = Field(
        default="amber",
        description="TLP of an object that carries no TLP marking (never clear).",
    )
    rules: list[Rule] = Field(default_factory=list, description="Evaluated all; deny wins.")
    protect: dict[ProtectType, list[ProtectSelector]] = Field(
        default_factory=dict,
        description="Properties sealed at rest, per STIX type (* for every type), in addition "
        "to the hub's defaults: top-level property names, or x_* for every custom property. "
        "Applies to new versions and, at the next re-evaluation, to stored ones.",
        json_schema_extra={"additionalProperties": False},
    )

    @model_validator(mode="after")
    def _unique_names(self) -> Policy:
        seen: dict[str, int] = {}
        problems = []
        for obj_type, props in self.protect.items():
            for prop in props:
                why = protect_problem(obj_type, prop)
                if why:
                    loc = ("protect", obj_type)
                    problems.append(_problem(loc, "unprotectable", why, prop))
        for i, rule in enumerate(self.rules):
            if rule.name in seen:
                msg = f"rule name {rule.name!r} is already used by rule {seen[rule.name]}"
                problems.append(_problem(("rules", i, "name"), "duplicate_rule", msg, rule.name))
            seen.setdefault(rule.name, i)
        if problems:
            raise ValidationError.from_exception_data("Policy", problems)
        return self


def is_selector(value: str) -> bool:
    """True if `value` has granular-marking selector syntax (§7.2.3.1)."""
    return _SELECTOR.fullmatch(value) is not None


def policy_json_schema() -> dict[str, Any]:
    """The JSON Schema of a policy file, as written to ``policies/schema.json``."""
    schema = Policy.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://fusion-hub.example/schemas/sharing-policy.json",
        **schema,
        "title": "Fusion Hub sharing policy",
    }


if __name__ == "__main__":  # python -m hub.sharing.policy > policies/schema.json
    print(json.dumps(policy_json_schema(), indent=2))
