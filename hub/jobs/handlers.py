"""Which handler runs which kind of job: the one place that knows every kind."""

from __future__ import annotations

from hub.jobs.runner import Handler

__all__ = ["default_handlers"]


def default_handlers() -> dict[str, Handler]:
    """Kind → handler, for every kind of job the hub runs."""
    from hub.sharing.service import REEVALUATE_JOB, run_reevaluation

    return {REEVALUATE_JOB: run_reevaluation}
