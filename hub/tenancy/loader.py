"""Read the ``tenants/`` directory: YAML parsed with line numbers, validated by the schemas.

Every problem is reported as ``file:line: field: message``; one bad file fails the whole load,
so a sync either applies a consistent directory or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from hub.errors import ValidationFailed
from hub.tenancy.schemas import (
    CollectionsFile,
    CollectionSpec,
    CommunitiesFile,
    CommunitySpec,
    TenantSpec,
)

__all__ = ["DirectoryError", "Problem", "TenantDirectory", "load_directory", "load_yaml_model"]

M = TypeVar("M", bound=BaseModel)

COMMUNITIES_FILE = "communities.yaml"
COLLECTIONS_FILE = "collections.yaml"


@dataclass(frozen=True)
class Problem:
    """One problem in one file, located as precisely as the YAML allows."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class DirectoryError(ValidationFailed):
    """The tenants directory does not validate; nothing was applied."""

    title = "Invalid tenant configuration"
    error_code = "invalid-tenant-configuration"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(
            "; ".join(str(p) for p in self.problems),
            details={"problems": [str(p) for p in self.problems]},
        )


@dataclass
class TenantDirectory:
    """The validated content of a tenants directory."""

    tenants: list[TenantSpec] = field(default_factory=list)
    communities: list[CommunitySpec] = field(default_factory=list)
    collections: list[CollectionSpec] = field(default_factory=list)


def _line_index(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out[(*path, key.value)] = key.start_mark.line + 1
            _line_index(value, (*path, key.value), out)
            out[(*path, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_index(item, (*path, i), out)


def load_yaml_model(path: Path, model: type[M], *, display: str | None = None) -> M:
    """Parse one YAML file into `model`, raising :class:`DirectoryError` with file and line."""
    return _parse(path, model, display or str(path))[0]


def _parse(path: Path, model: type[M], name: str) -> tuple[M, dict[tuple[Any, ...], int]]:
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise DirectoryError([Problem(name, None, "", f"cannot read: {exc}")]) from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise DirectoryError([Problem(name, line, "", f"not valid YAML: {exc.problem}")]) from None
    lines: dict[tuple[Any, ...], int] = {}
    if node is not None:
        _line_index(node, (), lines)
    try:
        return model.model_validate(data if data is not None else {}), lines
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            line = None
            for n in range(len(loc), -1, -1):
                if loc[:n] in lines:
                    line = lines[loc[:n]]
                    break
            dotted = ".".join(str(p) for p in loc)
            problems.append(Problem(name, line, dotted, err["msg"]))
        raise DirectoryError(problems) from None


def load_directory(directory: Path) -> TenantDirectory:
    """Load and cross-check a whole tenants directory.

    Checks beyond each file's schema: unique slugs and identity ids, a tenant file named after
    its slug, communities and audiences that name existing tenants and communities.
    """
    if not directory.is_dir():
        raise DirectoryError([Problem(str(directory), None, "", "is not a directory")])
    result = TenantDirectory()
    problems: list[Problem] = []
    lines: dict[str, dict[tuple[Any, ...], int]] = {}

    def attempt(path: Path, model: type[M]) -> M | None:
        try:
            parsed, lines[str(path)] = _parse(path, model, str(path))
            return parsed
        except DirectoryError as exc:
            problems.extend(exc.problems)
            return None

    communities_path = directory / COMMUNITIES_FILE
    if communities_path.exists():
        cf = attempt(communities_path, CommunitiesFile)
        if cf:
            result.communities = list(cf.communities)
    collections_path = directory / COLLECTIONS_FILE
    if collections_path.exists():
        colf = attempt(collections_path, CollectionsFile)
        if colf:
            result.collections = list(colf.collections)
    for path in sorted(directory.glob("*.yaml")):
        if path.name in {COMMUNITIES_FILE, COLLECTIONS_FILE}:
            continue
        spec = attempt(path, TenantSpec)
        if spec is None:
            continue
        if path.stem != spec.slug:
            problems.append(Problem(str(path), 1, "slug", f"file must be named {spec.slug}.yaml"))
        result.tenants.append(spec)
    problems.extend(_cross_check(directory, result, lines))
    if problems:
        raise DirectoryError(problems)
    return result


def _cross_check(
    directory: Path, d: TenantDirectory, lines: dict[str, dict[tuple[Any, ...], int]]
) -> list[Problem]:
    problems: list[Problem] = []

    def at(file: str, *path: Any) -> int | None:
        return lines.get(file, {}).get(path)

    community_slugs = {c.slug for c in d.communities}
    tenant_slugs: set[str] = set()
    identities: set[str] = set()
    for t in d.tenants:
        f = str(directory / f"{t.slug}.yaml")
        if t.slug in tenant_slugs:
            problems.append(Problem(f, at(f, "slug"), "slug", f"duplicate slug {t.slug!r}"))
        if t.identity_id in identities:
            problems.append(
                Problem(f, at(f, "identity_id"), "identity_id", "used by another tenant")
            )
        tenant_slugs.add(t.slug)
        identities.add(t.identity_id)
        for i, c in enumerate(t.communities):
            if c not in community_slugs:
                line = at(f, "communities", i)
                problems.append(Problem(f, line, f"communities.{i}", f"unknown community {c!r}"))
    if len(community_slugs) != len(d.communities):
        problems.append(
            Problem(str(directory / COMMUNITIES_FILE), None, "communities", "duplicate slug")
        )
    seen_ids: set[str] = set()
    seen_alias: set[str] = set()
    cpath = str(directory / COLLECTIONS_FILE)
    for i, col in enumerate(d.collections):
        if str(col.id) in seen_ids or col.alias in seen_alias:
            line = at(cpath, "collections", i)
            problems.append(Problem(cpath, line, f"collections.{i}", "duplicate id or alias"))
        seen_ids.add(str(col.id))
        seen_alias.add(col.alias)
        for attr in ("readers", "writers"):
            for j, audience in enumerate(getattr(col, attr)):
                kind, _, value = audience.partition(":")
                if kind == "tenant" and value not in tenant_slugs:
                    msg = f"unknown tenant {value!r}"
                elif kind == "community" and value not in community_slugs:
                    msg = f"unknown community {value!r}"
                else:
                    continue
                line = at(cpath, "collections", i, attr, j)
                problems.append(Problem(cpath, line, f"collections.{i}.{attr}.{j}", msg))
    return problems
