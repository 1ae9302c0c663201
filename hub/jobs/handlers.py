"""Which handler runs which kind of job: the one place that knows every kind."""

from __future__ import annotations

from typing import Any

from hub.jobs.runner import Handler, JobContext, PermanentJobError

__all__ = ["default_handlers"]


def _rewrap(ctx: JobContext) -> dict[str, Any]:
    """``keys.rewrap`` with the key service of the process that claimed it."""
    from hub.objects.keyops import run_rewrap
    from hub.objects.protection import registered

    protection = registered(ctx.db)
    if protection is None:
        raise PermanentJobError("this process has no key service to rewrap data keys with")
    return run_rewrap(ctx, protection.keys)


def default_handlers() -> dict[str, Handler]:
    """Kind → handler, for every kind of job the hub runs."""
    from hub.objects.keyops import REWRAP_JOB
    from hub.sharing.service import REEVALUATE_JOB, run_reevaluation

    return {REEVALUATE_JOB: run_reevaluation, REWRAP_JOB: _rewrap}
