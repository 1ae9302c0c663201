"""Read ``policies/<tenant>.yaml``: the policy model, then a cross-check against ``tenants/``.

Problems are reported as ``file:line: rules[2] (rule-name).field: message``, the same way the
tenants directory reports its own (:mod:`hub.tenancy.loader`). Loading is all or nothing: one
bad file and :func:`load_policies` returns no policy at all, so a policy that does not validate
changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from hub.sharing.policy import Policy
from hub.tenancy.loader import DirectoryError, Problem, TenantDirectory, load_yaml_model
from hub.tenancy.schemas import TenantSpec

__all__ = ["PolicyError", "check_policy", "load_policies", "load_policy"]

_RULE_FIELD = re.compile(r"^rules\.(\d+)(\.|$)")


class PolicyError(DirectoryError):
    """A sharing policy does not validate; nothing was applied."""

    title = "Invalid sharing policy"
    error_code = "invalid-sharing-policy"

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(problems)


def _rule_names(path: Path) -> dict[int, str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    rules = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(rules, list):
        return {}
    return {i: str(r["name"]) for i, r in enumerate(rules) if isinstance(r, dict) and "name" in r}


def _label(field: str, names: dict[int, str]) -> str:
    """``rules.2.fields.x`` -> ``rules[2] (name).fields.x``: name the rule by index and name."""
    m = _RULE_FIELD.match(field)
    if not m:
        return field
    i = int(m.group(1))
    head = f"rules[{i}] ({names[i]})" if i in names else f"rules[{i}]"
    return head + field[m.end(1) :]


def _lines(path: Path) -> dict[tuple[Any, ...], int]:
    """(key path) -> line, from the YAML node tree."""
    out: dict[tuple[Any, ...], int] = {}

    def walk(node: yaml.Node, at: tuple[Any, ...]) -> None:
        out.setdefault(at, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                out[(*at, key.value)] = key.start_mark.line + 1
                walk(value, (*at, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*at, i))

    root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    if root is not None:
        walk(root, ())
    return out


def load_policy(path: Path, tenants: TenantDirectory, *, display: str | None = None) -> Policy:
    """Load, validate and cross-check one policy file; :class:`PolicyError` if it does not."""
    name = display or str(path)
    try:
        policy = load_yaml_model(path, Policy, display=name)
    except DirectoryError as exc:
        names = _rule_names(path)
        problems = [
            Problem(p.file, p.line, _label(p.field, names), p.message) for p in exc.problems
        ]
        raise PolicyError(problems) from None
    problems = check_policy(policy, tenants, file=name, lines=_lines(path))
    if path.stem != policy.tenant:
        problems.insert(0, Problem(name, 1, "tenant", f"file must be named {policy.tenant}.yaml"))
    if problems:
        raise PolicyError(problems)
    return policy


def load_policies(directory: Path, tenants: TenantDirectory) -> dict[str, Policy]:
    """Every ``*.yaml`` of `directory`, by tenant slug; all of them or :class:`PolicyError`."""
    if not directory.is_dir():
        raise PolicyError([Problem(str(directory), None, "", "is not a directory")])
    policies: dict[str, Policy] = {}
    problems: list[Problem] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            policy = load_policy(path, tenants)
        except PolicyError as exc:
            problems.extend(exc.problems)
            continue
        policies[policy.tenant] = policy
    if problems:
        raise PolicyError(problems)
    return policies


def _writes(tenant: TenantSpec, audiences: list[str]) -> bool:
    for audience in audiences:
        kind, _, value = audience.partition(":")
        if (
            audience == "*"
            or (kind == "tenant" and value == tenant.slug)
            or (kind == "community" and value in tenant.communities)
            or (kind == "kind" and value == tenant.kind)
        ):
            return True
    return False


def check_policy(
    policy: Policy,
    tenants: TenantDirectory,
    *,
    file: str = "<policy>",
    lines: dict[tuple[Any, ...], int] | None = None,
) -> list[Problem]:
    """What `policy` names that `tenants` does not have: tenants, communities, collections."""
    at = lines or {}
    by_slug = {t.slug: t for t in tenants.tenants}
    communities = {c.slug for c in tenants.communities}
    collections = {c.alias: c for c in tenants.collections}
    publisher = by_slug.get(policy.tenant)
    problems: list[Problem] = []
    if publisher is None:
        problems.append(Problem(file, at.get(("tenant",)), "tenant", "unknown tenant"))
    elif publisher.kind == "operator":
        msg = "the hub operator publishes only the hub's public objects; it has no policy"
        problems.append(Problem(file, at.get(("tenant",)), "tenant", msg))

    def bad(loc: tuple[Any, ...], message: str) -> None:
        i = loc[1]
        field = f"rules[{i}] ({policy.rules[i].name})." + ".".join(str(p) for p in loc[2:])
        problems.append(Problem(file, at.get(loc) or at.get(loc[:2]), field, message))

    for i, rule in enumerate(policy.rules):
        for j, slug in enumerate(rule.recipients.tenants):
            if slug not in by_slug:
                bad(("rules", i, "recipients", "tenants", j), f"unknown tenant {slug!r}")
            elif by_slug[slug].kind == "operator":
                bad(("rules", i, "recipients", "tenants", j), "the hub operator reads no data")
        for j, slug in enumerate(rule.recipients.communities):
            if slug not in communities:
                bad(("rules", i, "recipients", "communities", j), f"unknown community {slug!r}")
        for j, alias in enumerate(rule.match.collections or ()):
            loc = ("rules", i, "match", "collections", j)
            if alias not in collections:
                bad(loc, f"unknown collection {alias!r}")
            elif publisher is not None and not _writes(publisher, collections[alias].writers):
                bad(loc, f"{policy.tenant} cannot publish to {alias!r}; the rule never applies")
    return problems
