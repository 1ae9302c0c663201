"""Resumable long work recorded in the database (DESIGN.md "Long work is a resumable job").

- :mod:`hub.jobs.repository` — the job table: enqueue, claim under a lease, progress, outcome.
- :mod:`hub.jobs.runner` — :class:`~hub.jobs.runner.JobRunner` (background thread, run once,
  run one job inline) and the :class:`~hub.jobs.runner.JobContext` handlers work with.
- :mod:`hub.jobs.handlers` — which handler runs which kind of job.
- :mod:`hub.jobs.router` — ``GET /api/v1/jobs/{id}`` and the lifespan that starts the runner.
- :mod:`hub.jobs.cli` — ``fusion-hub jobs run-once`` and ``fusion-hub jobs list``.

There is no job library that runs on both SQLite and PostgreSQL (procrastinate needs
PostgreSQL's LISTEN/NOTIFY; dramatiq, rq and huey need a broker), and the embedded hub must run
with nothing but Python: hence this small runner, whose claim is the standard
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL.
"""

from hub.jobs.runner import JobContext, JobOutcome, JobRunner, LeaseLost, PermanentJobError

__all__ = ["JobContext", "JobOutcome", "JobRunner", "LeaseLost", "PermanentJobError"]
