"""Jobs: long work recorded in the database, picked up by any hub process (DESIGN.md).

A job is claimed under a lease (`locked_by` until `locked_until`), which its runner renews at
every step; a job whose lease ran out (its process died) is claimed again by any runner and
resumes from `checkpoint`. Times are microseconds since the epoch (UTC).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.store.models._base import JsonDocument

__all__ = ["JOB_STATES", "Job"]

#: queued → running → done | failed; a running job whose lease expired is claimable again.
JOB_STATES = ("queued", "running", "done", "failed")


class Job(SQLModel, table=True):
    """One unit of long work: its kind, input, state, progress and resume point."""

    __tablename__ = "job"
    __table_args__ = (
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'done', 'failed')",
            name="state",
        ),
        sa.Index("ix_job_state_run_after", "state", "run_after"),
        sa.Index("ix_job_tenant_id_created_at", "tenant_id", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=36)
    kind: str = Field(max_length=64)
    tenant_id: int | None = Field(default=None, foreign_key="tenant.id")
    created_by: str = Field(default="", max_length=200)
    payload: dict[str, Any] = Field(sa_column=sa.Column(JsonDocument(), nullable=False))
    state: str = Field(default="queued", max_length=16)
    progress_done: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))
    progress_total: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))
    checkpoint: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(JsonDocument()))
    result: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(JsonDocument()))
    attempts: int = Field(default=0)
    max_attempts: int = Field(default=5)
    locked_by: str | None = Field(default=None, max_length=200)
    locked_until: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))
    heartbeat_at: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))
    run_after: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    error: str | None = Field(default=None, max_length=4000)
    created_at: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    updated_at: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    started_at: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))
    finished_at: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))
