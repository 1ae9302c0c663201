"""Validating a submitted policy document as strictly as a file of ``policies/``.

The API and the CLI check a policy against the tenants, communities and collections in the
database (:func:`directory_from_db`), with the same loader and the same ``file:line: rules[i]
(name).field: message`` problems as ``policies/*.yaml`` (:mod:`hub.sharing.loader`).
"""

from __future__ import annotations

import json
import tempfile
import uuid
from pathlib import Path
from typing import Literal, cast

import yaml
from sqlalchemy.orm import Session

from hub.sharing.loader import PolicyError, load_policy
from hub.sharing.policy import Policy
from hub.store.tenants import list_collections, list_communities, list_tenants, tenant_profiles
from hub.tenancy.loader import Problem, TenantDirectory
from hub.tenancy.schemas import CollectionSpec, CommunitySpec, TenantKind, TenantSpec

__all__ = ["BodyFormat", "directory_from_db", "parse_policy_text"]

BodyFormat = Literal["json", "yaml"]


def directory_from_db(session: Session) -> TenantDirectory:
    """The tenants, communities and collections in the database, as the loader checks them."""
    tenants = list_tenants(session)
    profiles = {p[0]: p for p in tenant_profiles(session, [t.id for t in tenants if t.id])}
    return TenantDirectory(
        tenants=[
            TenantSpec.model_construct(
                slug=t.slug,
                name=t.name,
                kind=cast(TenantKind, t.kind),
                country=t.country,
                identity_id=t.identity_id,
                communities=sorted(profiles[t.id][3]) if t.id in profiles else [],
            )
            for t in tenants
        ],
        communities=[
            CommunitySpec.model_construct(slug=c.slug, name=c.name)
            for c in list_communities(session)
        ],
        collections=[
            CollectionSpec.model_construct(
                id=uuid.UUID(c.id),
                alias=c.alias,
                title=c.title,
                readers=list(c.readers),
                writers=list(c.writers),
            )
            for c in list_collections(session)
        ],
    )


def parse_policy_text(
    text: str,
    directory: TenantDirectory,
    *,
    tenant: str,
    fmt: BodyFormat = "yaml",
    source: str = "policy",
) -> Policy:
    """Validate a policy document (YAML or JSON) for `tenant` exactly as a policy file is.

    Raises :class:`~hub.sharing.loader.PolicyError` whose problems name the rule (index and
    name) and the field, with YAML line numbers.
    """
    if fmt == "json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise PolicyError([Problem(source, None, "", f"not valid JSON: {exc}")]) from None
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    with tempfile.TemporaryDirectory(prefix="hub-policy-") as tmp:
        path = Path(tmp) / f"{tenant}.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            return load_policy(path, directory, display=source)
        except PolicyError as exc:
            raise PolicyError([_restate(p, tenant, fmt) for p in exc.problems]) from None


def _restate(problem: Problem, tenant: str, fmt: BodyFormat) -> Problem:
    """A loader problem as it applies to a submitted document (not a file of policies/)."""
    line = problem.line if fmt == "yaml" else None
    if problem.field == "tenant" and problem.message.startswith("file must be named"):
        return Problem(problem.file, line, "tenant", f"must be {tenant!r}, the tenant submitting")
    return Problem(problem.file, line, problem.field, problem.message)
