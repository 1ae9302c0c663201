"""Policy lifecycle: apply a new version of a publisher's policy and re-decide its grants.

Applying stores the version and bumps the publisher's policy sequence in one transaction, which
takes every grant computed under an older version out of force at once (revocation is immediate
for every read that starts after the apply returns); re-evaluation then restores what the new
version allows, collection by collection.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hub.objects.grants import content_hash, reevaluate_collection
from hub.sharing.loader import load_policies
from hub.sharing.policy import Policy
from hub.store import policies as repo
from hub.store.db import Database
from hub.store.models import Collection
from hub.store.objects import lock_collection, owner_collections
from hub.store.tenants import tenant_by_slug
from hub.tenancy.loader import load_directory

__all__ = ["Applied", "apply_policy", "reevaluate_publisher", "sync_policies"]

log = logging.getLogger("hub.sharing")


@dataclass(frozen=True)
class Applied:
    """The outcome of applying a policy."""

    tenant: str
    seq: int
    changed: bool
    grants: int


def reevaluate_publisher(db: Database, tenant_id: int) -> int:
    """Re-decide the grants of every object of one publisher, one collection per transaction."""
    with db.session() as session:
        collection_ids = owner_collections(session, tenant_id)
    total = 0
    now = datetime.now(UTC)
    for collection_id in collection_ids:
        with db.write_session() as session:
            lock_collection(session, collection_id)
            col = session.get(Collection, collection_id)
            assert col is not None
            total += reevaluate_collection(session, col, owner_id=tenant_id, now=now)
    return total


def apply_policy(db: Database, policy: Policy, *, author: str, comment: str = "") -> Applied:
    """Make `policy` its tenant's policy in force (a no-op if identical to the current one)."""
    document = policy.model_dump(mode="json", exclude_defaults=False)
    digest = content_hash(document)
    with db.write_session() as session:
        tenant = tenant_by_slug(session, policy.tenant)
        if tenant is None or tenant.id is None:
            raise LookupError(f"no tenant {policy.tenant!r}")
        tenant_id = tenant.id
        current = repo.current_version(session, tenant_id)
        if current is not None and current.content_hash == digest:
            return Applied(policy.tenant, current.seq, False, 0)
        version = repo.add_version(
            session,
            tenant_id,
            document,
            digest,
            author=author,
            comment=comment,
            now=datetime.now(UTC),
        )
        seq = version.seq
    grants = reevaluate_publisher(db, tenant_id)
    log.info("policy applied", extra={"tenant": policy.tenant, "seq": seq, "grants": grants})
    return Applied(policy.tenant, seq, True, grants)


def sync_policies(
    db: Database, policies_dir: Path, tenants_dir: Path, *, author: str
) -> list[Applied]:
    """Validate every file of `policies_dir` against the tenants, then apply each that changed.

    All files validate or nothing is applied.
    """
    policies = load_policies(policies_dir, load_directory(tenants_dir))
    return [
        apply_policy(db, p, author=author, comment="synced from files") for p in policies.values()
    ]
