"""The policy re-evaluation job: batches per transaction, resumes after a crash, supersedes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hub.jobs import repository as repo
from hub.jobs.runner import JobContext, JobRunner
from hub.sharing import service
from hub.sharing.policy import Policy
from hub.timeutil import now_micros
from tests.conftest import World
from tests.factories import indicator
from tests.taxii.helpers import HEADERS, objects_url, post

ECOWAS = {
    "tenant": "ng-nctc",
    "rules": [
        {
            "name": "ecowas",
            "effect": "share",
            "match": {"tlp": ["green", "amber"]},
            "recipients": {"communities": ["ecowas"]},
        }
    ],
}


class Crash(BaseException):
    """The hub process dies."""


def _ghana_sees(world: World) -> set[str]:
    with httpx.Client(base_url=world.url, auth=world.creds("gh-ctfc"), headers=HEADERS) as c:
        body = c.get(objects_url(world, "shared-exchange"), params={"match[type]": "indicator"})
    return {o["id"] for o in body.json().get("objects", [])}


def _publish(world: World, n: int) -> set[str]:
    me = world.scope("ng-nctc").identity_id
    objs = [indicator(me, tlp="amber") for _ in range(n)]
    with httpx.Client(base_url=world.url, auth=world.creds("ng-nctc"), headers=HEADERS) as c:
        post(c, objects_url(world, "shared-exchange"), objs)
    return {o["id"] for o in objs}


def test_a_crashed_reevaluation_resumes_where_it_stopped(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "BATCH", 3)
    ids = _publish(world, 10)
    assert _ghana_sees(world) == set()  # no policy: AMBER stays home
    applied = service.submit_policy(world.db, Policy.model_validate(ECOWAS), author="test")
    assert applied.job_id is not None
    steps: list[int] = []

    def crashing(ctx: JobContext) -> dict[str, Any]:
        real = ctx.step

        def step(session: Any, **kw: Any) -> None:
            real(session, **kw)
            steps.append(kw["done"])
            if len(steps) == 3:  # the start, two batches of 3 … and dies in the third
                raise Crash

        ctx.step = step  # type: ignore[method-assign]
        return service.run_reevaluation(ctx)

    with pytest.raises(Crash):
        JobRunner(world.db, {service.REEVALUATE_JOB: crashing}).run_once()
    with world.db.session() as s:
        job = repo.get_job(s, applied.job_id)
        assert job is not None and job.state == "running"
        assert (job.progress_done, job.progress_total) == (3, 10)  # the third batch rolled back
    assert len(_ghana_sees(world)) == 3  # what the committed batch restored

    resumed: list[tuple[int, Any]] = []

    def watching(ctx: JobContext) -> dict[str, Any]:
        resumed.append((ctx.done, ctx.checkpoint))
        return service.run_reevaluation(ctx)

    later = JobRunner(
        world.db,
        {service.REEVALUATE_JOB: watching},
        clock=lambda: now_micros() + 10 * 60_000_000,  # the dead runner's lease ran out
    )
    outcome = later.run_once()
    assert outcome is not None and outcome.state == "done"
    ((done, checkpoint),) = resumed
    assert done == 3 and checkpoint["after"] > 0 and checkpoint["index"] == 0
    assert outcome.result is not None and outcome.result["versions"] == 10
    assert _ghana_sees(world) == ids
    with world.db.session() as s:
        job = repo.get_job(s, applied.job_id)
        assert job is not None and (job.attempts, job.progress_done) == (2, 10)


def test_a_newer_policy_supersedes_a_running_reevaluation(world: World) -> None:
    ids = _publish(world, 4)
    first = service.submit_policy(world.db, Policy.model_validate(ECOWAS), author="test")
    green_only = {**ECOWAS, "rules": [{**ECOWAS["rules"][0], "match": {"tlp": ["green"]}}]}
    second = service.apply_policy(world.db, Policy.model_validate(green_only), author="test")
    assert second.grants is not None and _ghana_sees(world) == set()  # the newer policy rules
    assert first.job_id is not None
    outcome = JobRunner(world.db, service_handlers()).run_job(first.job_id)
    assert outcome.state == "done" and outcome.result is not None
    assert outcome.result["superseded_by"] == second.seq
    assert _ghana_sees(world) == set()
    service.apply_policy(world.db, Policy.model_validate(ECOWAS), author="test")
    assert _ghana_sees(world) == ids


def service_handlers() -> dict[str, Any]:
    return {service.REEVALUATE_JOB: service.run_reevaluation}
