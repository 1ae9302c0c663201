"""Every query on TAXII status resources."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from hub.store.models import Status
from hub.types import TenantScope

__all__ = ["create", "get_for"]


def create(session: Session, status: Status) -> Status:
    """Store a new status resource."""
    session.add(status)
    session.flush()
    return status


def get_for(session: Session, scope: TenantScope, status_id: str) -> Status | None:
    """The status `status_id` if `scope`'s tenant created it; None if absent or not ours."""
    return session.scalars(
        sa.select(Status).where(
            col(Status.id) == status_id, col(Status.tenant_id) == scope.tenant_id
        )
    ).first()
