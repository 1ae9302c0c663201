"""`fusion-hub jobs …`: run the queued jobs from the command line, list jobs.

``run-once`` claims and runs every ready job, then exits (for cron, or a hub whose processes run
with ``HUB_JOBS_ENABLED=false``); it is safe next to running hub processes, which claim jobs the
same way. Exit codes: 0 success, 1 a job failed, 2 bad configuration.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from hub.settings import Settings

__all__ = ["jobs_app"]

jobs_app = typer.Typer(help="Resumable jobs (policy re-evaluation): run them, list them.")
console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


def _settings() -> Settings:
    from hub.settings import Settings

    try:
        return Settings()
    except ValueError as exc:
        console.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from None


@jobs_app.command("run-once")
def run_once(
    max_jobs: Annotated[int | None, typer.Option("--max", min=1, help="Stop after N jobs.")] = None,
) -> None:
    """Run every job that is ready (queued, or abandoned by a dead process), then exit."""
    from hub.errors import HubError
    from hub.jobs.handlers import default_handlers
    from hub.jobs.runner import JobRunner
    from hub.runtime import Hub

    hub = Hub(_settings())  # registers the process's key service for key jobs
    db = hub.db
    try:
        outcomes = JobRunner(db, default_handlers(), name=None).run_until_idle(max_jobs)
    except HubError as exc:
        console.print(f"[red]error:[/red] {exc.description}")
        raise typer.Exit(1) from None
    finally:
        hub.close()
    for o in outcomes:
        line = f"{o.job_id} {o.kind}: {o.state}"
        console.print(line + (f" - {o.error}" if o.error else ""), markup=False)
    if not outcomes:
        console.print("no job ready")
    if any(o.state == "failed" for o in outcomes):
        raise typer.Exit(1)


@jobs_app.command("list")
def list_jobs(
    state: Annotated[list[str] | None, typer.Option(help="queued, running, done, failed.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Jobs, newest first, with progress and the runner holding each."""
    from hub.jobs import repository as repo
    from hub.jobs.schemas import job_view
    from hub.store.db import Database

    db = Database(_settings().database_url)
    try:
        with db.session() as session:
            rows = [
                job_view(j, internal=True)
                for j in repo.list_jobs(session, states=state or (), limit=limit)
            ]
    finally:
        db.dispose()
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table("id", "kind", "tenant", "state", "progress", "attempts", "created", "runner")
    for r in rows:
        p = r["progress"]
        progress = f"{p['done']}/{p['total'] if p['total'] is not None else '?'}"
        tenant = str(r["payload"].get("tenant", ""))
        table.add_row(
            r["id"], r["kind"], tenant, r["state"], progress, str(r["attempts"]),
            r["created_at"] or "", r["locked_by"] or "",
        )  # fmt: skip
    out.print(table)
