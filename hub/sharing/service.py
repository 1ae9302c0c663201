"""Policy lifecycle: validate, store a new version, re-decide the publisher's grants in a job.

Applying stores the version, bumps the publisher's policy sequence and queues the
re-evaluation job in one transaction. The bump takes every grant computed under an older
version out of force at once (revocation is immediate for every read that starts after the
apply returns); the job (:func:`run_reevaluation`, kind ``policy.reevaluate``) then restores
what the new version allows, one batch of one collection per transaction, recording its
position so that it resumes where it stopped. :func:`apply_policy` runs that job inline when its
caller waits (the CLI, the tests); the policy API returns once it is queued.
"""

from __future__ import annotations

import getpass
import logging
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hub.audit import Actor, AuditEvent, AuditLog, TenantRef
from hub.errors import HubError
from hub.jobs import repository as jobs
from hub.jobs.runner import JobContext, JobRunner, PermanentJobError
from hub.objects.grants import content_hash, load_audience, reevaluate_versions
from hub.sharing.documents import BodyFormat, directory_from_db, parse_policy_text
from hub.sharing.loader import PolicyError, load_policies
from hub.sharing.policy import Policy
from hub.store import lifecycle
from hub.store import objects as objects_repo
from hub.store import policies as repo
from hub.store.db import Database
from hub.store.models import Collection, Tenant
from hub.store.tenants import (
    operator_ids,
    tenant_by_slug,
)
from hub.tenancy.loader import load_directory
from hub.timeutil import now_micros

__all__ = [
    "REEVALUATE_JOB",
    "Applied",
    "PolicyJobFailed",
    "apply_policy",
    "cli_author",
    "reevaluate_publisher",
    "run_reevaluation",
    "submit_policy",
    "submit_policy_text",
    "sync_policies",
]

log = logging.getLogger("hub.sharing")

REEVALUATE_JOB = "policy.reevaluate"
#: Versions re-decided per transaction: small enough to keep the collection's writer lock short.
BATCH = 500


class PolicyJobFailed(HubError):
    """The re-evaluation of a new policy's grants failed (the policy itself is stored)."""

    title = "Re-evaluation failed"
    error_code = "reevaluation-failed"


@dataclass(frozen=True)
class Applied:
    """The outcome of applying a policy: its version, and the job re-deciding the grants.

    `grants` is the number of grants in force once the job is done (None while it runs).
    """

    tenant: str
    seq: int
    changed: bool
    grants: int | None
    content_hash: str = ""
    job_id: str | None = None


def cli_author() -> str:
    """Who applies from the command line: ``cli:<login>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


# --- applying ----------------------------------------------------------------------------------


def submit_policy(db: Database, policy: Policy, *, author: str, comment: str = "") -> Applied:
    """Store `policy` as its tenant's policy in force and queue the re-evaluation of its grants.

    One transaction: the version, the bumped policy sequence (older grants stop being in force
    at once), the job and the audit entry commit together. A no-op if identical to the current
    version.
    """
    document = policy.model_dump(mode="json", exclude_defaults=False)
    digest = content_hash(document)
    now = now_micros()
    with db.write_session() as session:
        tenant = tenant_by_slug(session, policy.tenant)
        if tenant is None or tenant.id is None:
            raise LookupError(f"no tenant {policy.tenant!r}")
        current = repo.current_version(session, tenant.id)
        if current is not None and current.content_hash == digest:
            return Applied(policy.tenant, current.seq, False, None, digest)
        version = repo.add_version(
            session,
            tenant.id,
            document,
            digest,
            author=author,
            comment=comment,
            now=datetime.now(UTC),
        )
        job = jobs.enqueue(
            session,
            kind=REEVALUATE_JOB,
            payload={
                "tenant": tenant.slug,
                "tenant_id": tenant.id,
                "policy_seq": version.seq,
                "content_hash": digest,
            },
            tenant_id=tenant.id,
            created_by=author,
            now=now,
        )
        ref = TenantRef(tenant.id, tenant.slug)
        AuditLog.record(
            session,
            AuditEvent.policy_applied(
                Actor(ref, author),
                digest,
                publisher=ref,
                previous_hash=current.content_hash if current else None,
                version=version.seq,
                job_id=job.id,
            ),
        )
    log.info("policy stored", extra={"tenant": policy.tenant, "seq": version.seq, "job": job.id})
    return Applied(policy.tenant, version.seq, True, None, digest, job.id)


def submit_policy_text(
    db: Database,
    text: str,
    *,
    tenant: str,
    fmt: BodyFormat,
    author: str,
    comment: str = "",
) -> Applied:
    """Validate a submitted document against the database's tenants, then :func:`submit_policy`.

    A document that does not validate changes nothing (the failed validation is audited).
    """
    with db.session() as session:
        directory = directory_from_db(session)
        row = tenant_by_slug(session, tenant)
    try:
        policy = parse_policy_text(text, directory, tenant=tenant, fmt=fmt)
    except PolicyError as exc:
        ref = TenantRef(row.id if row else None, tenant)
        digest = content_hash({"submitted": text})
        problems = [str(p) for p in exc.problems]
        event = AuditEvent.policy_validated(Actor(ref, author), digest, problems=problems)
        AuditLog.record(db, event)
        raise
    return submit_policy(db, policy, author=author, comment=comment)


def apply_policy(
    db: Database,
    policy: Policy,
    *,
    author: str,
    comment: str = "",
    wait: bool = True,
    timeout: float = 600.0,
) -> Applied:
    """Make `policy` its tenant's policy in force; with `wait`, return once grants are in force.

    Waiting runs the re-evaluation job here (or waits for the hub process that claimed it).
    """
    applied = submit_policy(db, policy, author=author, comment=comment)
    if not wait or applied.job_id is None:
        return applied
    name = f"inline:{author[:150]}:{uuid.uuid4().hex[:8]}"
    runner = JobRunner(db, {REEVALUATE_JOB: run_reevaluation}, name=name)
    outcome = runner.run_job(applied.job_id, timeout=timeout)
    if outcome.state != "done":
        raise PolicyJobFailed(f"re-evaluating the grants of {policy.tenant}: {outcome.error}")
    granted = (outcome.result or {}).get("granted")
    return replace(applied, grants=int(granted) if granted is not None else None)


def sync_policies(
    db: Database, policies_dir: Path, tenants_dir: Path, *, author: str, wait: bool = True
) -> list[Applied]:
    """Validate every file of `policies_dir` against the tenants, then apply each that changed.

    All files validate or nothing is applied.
    """
    policies = load_policies(policies_dir, load_directory(tenants_dir))
    return [
        apply_policy(db, p, author=author, comment="synced from files", wait=wait)
        for p in policies.values()
    ]


# --- the re-evaluation job ---------------------------------------------------------------------


def run_reevaluation(ctx: JobContext) -> dict[str, Any]:
    """Job ``policy.reevaluate``: re-decide every grant of one publisher's objects.

    Payload: ``tenant``, ``tenant_id``, ``policy_seq``, ``content_hash``. Checkpoint: the
    collections to do, the index of the current one, the last `date_added` done in it, and the
    grants written so far. A newer policy of the same publisher supersedes the job (its own job
    re-decides everything again), which then ends at once.
    """
    payload = ctx.payload
    tenant_id, seq = int(payload["tenant_id"]), int(payload["policy_seq"])
    now = datetime.now(UTC)
    cp = ctx.checkpoint
    if cp is None:
        with ctx.db.session() as session:
            counts = lifecycle.count_versions(session, tenant_id)
        cp = {"collections": sorted(counts), "index": 0, "after": -1, "granted": 0}
        with ctx.db.write_session() as session:
            ctx.step(session, done=0, total=sum(counts.values()), checkpoint=cp)
    done = ctx.done
    superseded: int | None = None
    while superseded is None and cp["index"] < len(cp["collections"]):
        ctx.check()
        with ctx.db.write_session() as session:
            tenant = session.get(Tenant, tenant_id)
            if tenant is None:
                raise PermanentJobError(f"tenant {tenant_id} no longer exists")
            if tenant.policy_seq != seq:
                superseded = tenant.policy_seq  # its own job re-decides everything again
                continue
            collection_id = cp["collections"][cp["index"]]
            objects_repo.lock_collection(session, collection_id)
            col = session.get(Collection, collection_id)
            rows = []
            if col is not None:
                rows = lifecycle.versions_after(
                    session, collection_id, owner_id=tenant_id, after=cp["after"], limit=BATCH
                )
            if rows and col is not None:
                system = tenant_id in operator_ids(session)
                audience = load_audience(session, col, tenant_id, system=system)
                granted = reevaluate_versions(session, audience, rows, now)
                cp = {**cp, "after": rows[-1].date_added, "granted": cp["granted"] + granted}
                done += len(rows)
            else:
                cp = {**cp, "index": cp["index"] + 1, "after": -1}
            ctx.step(session, done=done, total=max(done, ctx.total or 0), checkpoint=cp)
    return _finished(ctx, cp, done, superseded_by=superseded)


def _finished(
    ctx: JobContext, cp: dict[str, Any], done: int, *, superseded_by: int | None
) -> dict[str, Any]:
    """The job's result, audited (outside any write transaction: the audit takes its own)."""
    payload = ctx.payload
    result = {
        "tenant": payload["tenant"],
        "policy_seq": payload["policy_seq"],
        "versions": done,
        "collections": len(cp["collections"]),
        "granted": cp["granted"],
        "superseded_by": superseded_by,
    }
    ref = TenantRef(int(payload["tenant_id"]), str(payload["tenant"]))
    event = AuditEvent.grants_reevaluated(
        Actor.system("jobs"),
        collection_id=None,
        policy_hash=str(payload["content_hash"]),
        publisher=ref,
        granted=int(cp["granted"]),
        job_id=ctx.job_id,
    )
    AuditLog.record(ctx.db, event)
    log.info("grants re-evaluated", extra={"job": ctx.job_id, **result})
    return result


def reevaluate_publisher(db: Database, tenant_id: int) -> int:
    """Queue and run, here, a re-evaluation of every grant of one publisher; grants written."""
    with db.write_session() as session:
        tenant = session.get(Tenant, tenant_id)
        if tenant is None:
            raise LookupError(f"no tenant {tenant_id}")
        current = repo.current_version(session, tenant_id)
        job = jobs.enqueue(
            session,
            kind=REEVALUATE_JOB,
            payload={
                "tenant": tenant.slug,
                "tenant_id": tenant_id,
                "policy_seq": tenant.policy_seq,
                "content_hash": current.content_hash if current else "",
            },
            tenant_id=tenant_id,
            created_by="system:hub",
            now=now_micros(),
        )
    runner = JobRunner(db, {REEVALUATE_JOB: run_reevaluation}, name=f"inline:{job.id}")
    outcome = runner.run_job(job.id)
    if outcome.state != "done":
        raise PolicyJobFailed(f"re-evaluating the grants of tenant {tenant_id}: {outcome.error}")
    return int((outcome.result or {}).get("granted") or 0)
