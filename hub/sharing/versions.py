"""Reading a publisher's policy versions: the one in force, and the history with diffs.

Documents are stored as validated (every default filled in); they are shown compact, as a
policy file would be written (defaults left out), and each version's diff is a unified diff
(``difflib``) of that YAML against the previous version's.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from sqlalchemy.orm import Session

from hub.sharing.policy import Policy
from hub.store import policies as repo
from hub.store.models import PolicyVersion

__all__ = ["compact", "current_policy", "policy_history", "policy_yaml", "unified_diff"]


def compact(document: Mapping[str, Any]) -> dict[str, Any]:
    """A stored document without its defaults, as a policy file would say it."""
    return Policy.model_validate(document).model_dump(mode="json", exclude_defaults=True)


def policy_yaml(document: Mapping[str, Any]) -> str:
    """The compact document as YAML, keys in the model's order."""
    return yaml.safe_dump(compact(document), sort_keys=False, allow_unicode=True, width=100)


def unified_diff(old: str, new: str, *, slug: str, old_seq: int | None, new_seq: int) -> str:
    """The unified diff between two YAML renderings (empty if they are the same)."""
    before = f"a/policies/{slug}.yaml@v{old_seq}" if old_seq else "/dev/null"
    after = f"b/policies/{slug}.yaml@v{new_seq}"
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), before, after
    )
    return "".join(lines)


def _meta(v: PolicyVersion) -> dict[str, Any]:
    return {
        "version": v.seq,
        "author": v.author,
        "created_at": v.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "comment": v.comment,
        "content_hash": v.content_hash,
    }


def current_policy(session: Session, tenant_id: int, slug: str) -> dict[str, Any]:
    """The policy in force: its version's metadata and the compact document.

    A publisher that never applied a policy has version 0: TLP:CLEAR goes to every tenant and
    nothing else leaves it (the TLP 2.0 floor with no rule).
    """
    v = repo.current_version(session, tenant_id)
    if v is None:
        return {
            "tenant": slug,
            "version": 0,
            "author": None,
            "created_at": None,
            "comment": "no policy applied: only TLP:CLEAR is shared",
            "content_hash": None,
            "policy": compact(Policy(tenant=slug).model_dump(mode="json")),
        }
    return {"tenant": slug, **_meta(v), "policy": compact(v.document)}


def policy_history(
    session: Session, tenant_id: int, slug: str, *, limit: int = 20, before: int | None = None
) -> dict[str, Any]:
    """Versions newest first (``before``: only older than that version), each with its diff.

    ``next`` is the `before` of the following page, or None.
    """
    versions: Sequence[PolicyVersion] = repo.history(session, tenant_id)
    if before is not None:
        versions = [v for v in versions if v.seq < before]
    page = versions[: limit + 1]
    items = []
    for i, v in enumerate(page[:limit]):
        previous = page[i + 1] if i + 1 < len(page) else None
        old = policy_yaml(previous.document) if previous else ""
        items.append(
            {
                **_meta(v),
                "diff": unified_diff(
                    old,
                    policy_yaml(v.document),
                    slug=slug,
                    old_seq=previous.seq if previous else None,
                    new_seq=v.seq,
                ),
            }
        )
    more = len(versions) > limit
    return {"tenant": slug, "items": items, "next": items[-1]["version"] if more else None}
