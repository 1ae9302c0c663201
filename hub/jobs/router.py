"""`/api/v1/jobs/…`: a tenant follows its jobs; the lifespan runs this process's job runner.

The runner starts with the application (one background thread per hub process) unless
``HUB_JOBS_ENABLED=false``, and is stopped (its job at hand handed back, to resume elsewhere)
when the application shuts down. Routes that queue a job wake it through ``app.state``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from hub.auth import Authorizer
from hub.deps import HubDep
from hub.errors import NotFound
from hub.jobs import repository as repo
from hub.jobs.handlers import default_handlers
from hub.jobs.runner import JobRunner
from hub.jobs.schemas import job_view
from hub.runtime import Hub
from hub.types import Principal

__all__ = ["PREFIX", "router", "wake_runner"]

PREFIX = "/api/v1/jobs"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start this process's job runner (unless disabled) and stop it on shutdown."""
    hub: Hub = app.state.hub
    runner: JobRunner | None = None
    if hub.settings.jobs_enabled:
        runner = JobRunner(hub.db, default_handlers())
        runner.start()
    app.state.job_runner = runner
    try:
        yield
    finally:
        app.state.job_runner = None
        if runner is not None:
            await run_in_threadpool(runner.stop)


def wake_runner(request: Request) -> None:
    """Tell this process's runner (if it runs) that a job was just queued."""
    runner: JobRunner | None = getattr(request.app.state, "job_runner", None)
    if runner is not None:
        runner.wake()


router = APIRouter(prefix=PREFIX, tags=["jobs"], lifespan=_lifespan)

#: Jobs today re-evaluate grants after a policy change: following them is reading policy state.
JobReader = Annotated[Principal, Depends(Authorizer("policy:read"))]


@router.get("/{job_id}")
def get_job(job_id: str, hub: HubDep, p: JobReader) -> Response:
    """A job of the caller's tenant: state, progress (done/total), attempts, result or error.

    Another tenant's job answers 404 exactly like a job that does not exist.
    """
    with hub.db.session() as session:
        job = repo.tenant_job(session, p.tenant, job_id)
        if job is None:
            raise NotFound("No such job")
        body = job_view(job)
    return Response(orjson.dumps(body), media_type="application/json")
