"""The append-only, hash-chained audit trail.

Recording (one entry per request, listing the object versions concerned)::

    # publish: inside the write transaction, last thing before it commits
    AuditLog.record(session, AuditEvent.publish(Actor.of(principal), collection_id, stored,
                                                unchanged=unchanged, failed=failed))
    # a read that returned objects: its own short transaction (group-committed)
    AuditLog.record(hub.db, AuditEvent.read(Actor.of(principal), collection_id, versions))
    # authentication failures
    hub.auth.events.subscribe(AuditLog.auth_subscriber(hub.db))

Versions are ``(object_id, version)`` with the version as microseconds (or a TAXII timestamp).
Verify with :func:`verify_log`, sign checkpoints with :func:`create_checkpoint`, prune with
:func:`prune`, prove consistency to a tenant with :mod:`hub.audit.proofs`, query with
:mod:`hub.audit.queries`. The encodings are documented in :mod:`hub.audit.canonical`, the
chain's concurrency in :mod:`hub.audit.log`.
"""

from hub.audit.checkpoints import PruneResult, create_checkpoint, list_checkpoints, prune
from hub.audit.errors import AuditError, AuditQueryError, SigningKeyUnavailable
from hub.audit.events import Action, Actor, AuditEvent, Outcome, TenantRef, VersionRef
from hub.audit.log import AuditLog, AuditRecord
from hub.audit.signing import Checkpoint, CheckpointSigner, PublicKey
from hub.audit.verify import Problem, VerifyReport, verify_log

__all__ = [
    "Action",
    "Actor",
    "AuditError",
    "AuditEvent",
    "AuditLog",
    "AuditQueryError",
    "AuditRecord",
    "Checkpoint",
    "CheckpointSigner",
    "Outcome",
    "Problem",
    "PruneResult",
    "PublicKey",
    "SigningKeyUnavailable",
    "TenantRef",
    "VerifyReport",
    "VersionRef",
    "create_checkpoint",
    "list_checkpoints",
    "prune",
    "verify_log",
]
