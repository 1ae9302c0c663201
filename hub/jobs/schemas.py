"""How a job is shown: to its tenant over the API, and to the operator in the CLI."""

from __future__ import annotations

from typing import Any

from hub.store.models import Job
from hub.timeutil import format_micros

__all__ = ["job_view"]


def _time(us: int | None) -> str | None:
    return format_micros(us) if us is not None else None


def job_view(job: Job, *, internal: bool = False) -> dict[str, Any]:
    """The job as JSON. `internal` adds which runner holds it and until when (operator only)."""
    total = job.progress_total
    body: dict[str, Any] = {
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "progress": {
            "done": job.progress_done,
            "total": total,
            "percent": round(100 * job.progress_done / total, 1) if total else None,
        },
        "attempts": job.attempts,
        "payload": job.payload,
        "result": job.result,
        "error": job.error,
        "created_by": job.created_by,
        "created_at": _time(job.created_at),
        "started_at": _time(job.started_at),
        "updated_at": _time(job.updated_at),
        "finished_at": _time(job.finished_at),
    }
    if internal:
        body |= {
            "tenant_id": job.tenant_id,
            "locked_by": job.locked_by,
            "locked_until": _time(job.locked_until),
            "heartbeat_at": _time(job.heartbeat_at),
            "run_after": _time(job.run_after),
            "checkpoint": job.checkpoint,
        }
    return body
