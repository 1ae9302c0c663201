"""Every query on sharing policy versions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from hub.store.models import PolicyVersion, Tenant

__all__ = ["add_version", "current_version", "history"]


def current_version(session: Session, tenant_id: int) -> PolicyVersion | None:
    """The policy in force for a publisher (its newest version), or None if it has none."""
    return session.scalars(
        sa.select(PolicyVersion)
        .where(col(PolicyVersion.tenant_id) == tenant_id)
        .order_by(col(PolicyVersion.seq).desc())
        .limit(1)
    ).first()


def add_version(
    session: Session,
    tenant_id: int,
    document: dict[str, Any],
    content_hash: str,
    *,
    author: str,
    comment: str,
    now: datetime,
) -> PolicyVersion:
    """Store a new version and make it current: the publisher's grants are withdrawn at once.

    Bumping ``tenant.policy_seq`` in the same transaction takes every grant computed under an
    older version out of force; re-evaluation restores what the new version allows.
    """
    tenant = session.get(Tenant, tenant_id, with_for_update=True)
    if tenant is None:
        raise LookupError(f"no tenant {tenant_id}")
    seq = tenant.policy_seq + 1
    tenant.policy_seq = seq
    version = PolicyVersion(
        tenant_id=tenant_id,
        seq=seq,
        document=document,
        content_hash=content_hash,
        author=author,
        comment=comment,
        created_at=now,
    )
    session.add(version)
    session.flush()
    return version


def history(session: Session, tenant_id: int) -> Sequence[PolicyVersion]:
    """Every version of a publisher's policy, newest first."""
    return session.scalars(
        sa.select(PolicyVersion)
        .where(col(PolicyVersion.tenant_id) == tenant_id)
        .order_by(col(PolicyVersion.seq).desc())
    ).all()
