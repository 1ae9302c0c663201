"""What the trail records: :class:`AuditEvent` and one constructor per audited action."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Protocol

from hub.types import Principal, TenantScope

__all__ = [
    "Action",
    "Actor",
    "AuditEvent",
    "AuthEventLike",
    "Outcome",
    "TenantRef",
    "VersionRef",
]

Outcome = Literal["success", "partial", "failure", "denied"]
#: An object version: (STIX id, version as microseconds since the epoch or a TAXII timestamp).
VersionRef = tuple[str, int | str]


class Action(StrEnum):
    """Every action the trail knows."""

    PUBLISH = "publish"
    READ = "read"
    DELETE = "object.delete"
    POLICY_VALIDATE = "policy.validate"
    POLICY_APPLY = "policy.apply"
    GRANTS_REEVALUATE = "grants.reevaluate"
    KEY_ROTATE = "key.rotate"
    KEY_SHRED = "key.shred"
    CLIENT_CREATE = "client.create"
    CLIENT_REVOKE = "client.revoke"
    AUTH_FAILURE = "auth.failure"
    DECRYPT_FAILURE = "decrypt.failure"
    AUDIT_PRUNE = "audit.prune"
    CONSOLE_SIGN_IN = "console.sign-in"


#: The actions a policy officer's "policy history" shows.
POLICY_ACTIONS = (Action.POLICY_VALIDATE, Action.POLICY_APPLY, Action.GRANTS_REEVALUATE)


@dataclass(frozen=True, slots=True)
class TenantRef:
    """A tenant as the trail names it: database id and slug (either may be unknown)."""

    id: int | None
    slug: str | None

    @classmethod
    def of(cls, tenant: TenantScope | Any) -> TenantRef:
        """From a :class:`TenantScope` or a ``Tenant`` row."""
        if isinstance(tenant, TenantScope):
            return cls(tenant.tenant_id, tenant.slug)
        return cls(getattr(tenant, "id", None), getattr(tenant, "slug", None))


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted: a tenant's client, or the hub itself (`client_id` ``system:<name>``)."""

    tenant: TenantRef | None
    client_id: str | None

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        """The authenticated caller of a request."""
        return cls(TenantRef.of(principal.tenant), principal.client_id)

    @classmethod
    def of_scope(cls, scope: TenantScope, client_id: str | None = None) -> Actor:
        """A tenant acting through a trusted entry point (the CLI, a job)."""
        return cls(TenantRef.of(scope), client_id)

    @classmethod
    def system(cls, name: str = "hub") -> Actor:
        """The hub itself (a job, the operator's CLI without a tenant)."""
        return cls(None, f"system:{name}")


class AuthEventLike(Protocol):
    """The fields of :class:`hub.auth.events.AuthEvent` the trail records."""

    @property
    def client_id(self) -> str | None: ...
    @property
    def tenant(self) -> str | None: ...
    @property
    def source(self) -> str | None: ...
    @property
    def outcome(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def method(self) -> str: ...


def _pairs(versions: Iterable[VersionRef]) -> tuple[VersionRef, ...]:
    return tuple((object_id, version) for object_id, version in versions)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One entry to append. `request_id` None means the current request's id (if any).

    `details` is visible to everyone allowed to see the entry, the hub operator included;
    `protected` only to the tenants concerned (the actor's and the subject's), never to the
    operator's views: the chain commits to it by a salted digest, so the operator can still
    verify the trail. Both must be plain JSON (see :func:`hub.audit.canonical.check_json`).
    """

    action: Action | str
    actor: Actor
    outcome: Outcome = "success"
    objects: Sequence[VersionRef] = ()
    collection_id: str | None = None
    subject: TenantRef | None = None
    request_id: str | None = None
    policy_hash: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    protected: Mapping[str, Any] | None = None

    # Constructors, one per audited action; keyword-only beyond the essentials.

    @classmethod
    def publish(
        cls,
        actor: Actor,
        collection_id: str,
        stored: Iterable[VersionRef],
        *,
        unchanged: Iterable[VersionRef] = (),
        failed: Iterable[tuple[str, str | None, str]] = (),
        policy_hash: str | None = None,
        request_id: str | None = None,
    ) -> AuditEvent:
        """A TAXII POST (or CLI publish): versions stored, already present, and failures.

        `failed` holds (object id, version or None, reason) per refused object.
        """
        stored_t = _pairs(stored)
        unchanged_l = [[o, v] for o, v in _pairs(unchanged)]
        failed_l = [[o, v, reason] for o, v, reason in failed]
        outcome: Outcome = "success"
        if failed_l:
            outcome = "partial" if stored_t or unchanged_l else "failure"
        details: dict[str, Any] = {
            "stored": len(stored_t),
            "unchanged": unchanged_l,
            "failed": failed_l,
        }
        return cls(
            Action.PUBLISH,
            actor,
            outcome,
            objects=stored_t,
            collection_id=collection_id,
            subject=actor.tenant,
            request_id=request_id,
            policy_hash=policy_hash,
            details=details,
        )

    @classmethod
    def read(
        cls,
        actor: Actor,
        collection_id: str,
        versions: Iterable[VersionRef],
        *,
        endpoint: str = "objects",
        policy_hash: str | None = None,
        request_id: str | None = None,
    ) -> AuditEvent:
        """A read that returned object versions to `actor` (one entry per request)."""
        pairs = _pairs(versions)
        return cls(
            Action.READ,
            actor,
            objects=pairs,
            collection_id=collection_id,
            subject=actor.tenant,
            request_id=request_id,
            policy_hash=policy_hash,
            details={"endpoint": endpoint, "count": len(pairs)},
        )

    @classmethod
    def delete(cls, actor: Actor, collection_id: str, versions: Iterable[VersionRef]) -> AuditEvent:
        """TAXII 2.1 §5.7 Delete An Object: the publisher removed these versions."""
        pairs = _pairs(versions)
        return cls(
            Action.DELETE, actor, objects=pairs, collection_id=collection_id, subject=actor.tenant
        )

    @classmethod
    def policy_validated(
        cls,
        actor: Actor,
        policy_hash: str,
        *,
        publisher: TenantRef | None = None,
        problems: Sequence[str] = (),
    ) -> AuditEvent:
        """A policy was validated (preview or apply attempt); failure if it had problems."""
        return cls(
            Action.POLICY_VALIDATE,
            actor,
            "failure" if problems else "success",
            subject=publisher or actor.tenant,
            policy_hash=policy_hash,
            details={"problems": list(problems)},
        )

    @classmethod
    def policy_applied(
        cls,
        actor: Actor,
        policy_hash: str,
        *,
        publisher: TenantRef | None = None,
        previous_hash: str | None = None,
        version: int | None = None,
        job_id: str | None = None,
    ) -> AuditEvent:
        """A new policy version is in force for `publisher` (default: the actor's tenant)."""
        return cls(
            Action.POLICY_APPLY,
            actor,
            "success",
            subject=publisher or actor.tenant,
            policy_hash=policy_hash,
            details={"previous_hash": previous_hash, "version": version, "job_id": job_id},
        )

    @classmethod
    def grants_reevaluated(
        cls,
        actor: Actor,
        *,
        collection_id: str | None,
        policy_hash: str | None,
        publisher: TenantRef | None = None,
        granted: int,
        revoked: int | None = None,
        job_id: str | None = None,
        outcome: Outcome = "success",
    ) -> AuditEvent:
        """A (resumable) re-evaluation of grants finished or gave up."""
        return cls(
            Action.GRANTS_REEVALUATE,
            actor,
            outcome,
            collection_id=collection_id,
            subject=publisher,
            policy_hash=policy_hash,
            details={"granted": granted, "revoked": revoked, "job_id": job_id},
        )

    @classmethod
    def key_rotated(
        cls,
        actor: Actor,
        *,
        key_id: str,
        new_key_id: str,
        owner: TenantRef | None = None,
        rewrapped: int | None = None,
        outcome: Outcome = "success",
    ) -> AuditEvent:
        """A key (a tenant's, or the master key when `owner` is None) was rotated."""
        return cls(
            Action.KEY_ROTATE,
            actor,
            outcome,
            subject=owner,
            details={"key_id": key_id, "new_key_id": new_key_id, "rewrapped": rewrapped},
        )

    @classmethod
    def key_shredded(
        cls, actor: Actor, *, key_id: str, owner: TenantRef | None = None
    ) -> AuditEvent:
        """A key was destroyed (crypto-shredding): its data is unrecoverable."""
        return cls(Action.KEY_SHRED, actor, subject=owner, details={"key_id": key_id})

    @classmethod
    def client_created(
        cls, actor: Actor, *, client_id: str, owner: TenantRef, scopes: Sequence[str]
    ) -> AuditEvent:
        """An API client was registered for `owner`."""
        return cls(
            Action.CLIENT_CREATE,
            actor,
            subject=owner,
            details={"client_id": client_id, "scopes": sorted(scopes)},
        )

    @classmethod
    def client_revoked(cls, actor: Actor, *, client_id: str, owner: TenantRef) -> AuditEvent:
        """An API client was revoked."""
        return cls(Action.CLIENT_REVOKE, actor, subject=owner, details={"client_id": client_id})

    @classmethod
    def auth_failure(
        cls,
        *,
        client_id: str | None,
        tenant: TenantRef | None,
        reason: str,
        method: str,
        source: str | None = None,
        outcome: Outcome = "failure",
    ) -> AuditEvent:
        """A failed or refused authentication. The presented client id is kept, truncated."""
        presented = client_id[:200] if client_id else None
        return cls(
            Action.AUTH_FAILURE,
            Actor(tenant, presented),
            outcome,
            subject=tenant,
            details={"reason": reason, "method": method, "source": source},
        )

    @classmethod
    def from_auth_event(cls, event: AuthEventLike) -> AuditEvent | None:
        """The entry for a :class:`hub.auth.events.AuthEvent`; None for a success."""
        if event.outcome == "success":
            return None
        tenant = TenantRef(None, event.tenant) if event.tenant else None
        return cls.auth_failure(
            client_id=event.client_id,
            tenant=tenant,
            reason=event.reason,
            method=event.method,
            source=event.source,
            outcome="denied" if event.outcome in ("denied", "throttled") else "failure",
        )

    @classmethod
    def decrypt_failure(
        cls,
        actor: Actor,
        *,
        collection_id: str | None,
        object_id: str,
        version: int | str,
        reason: str,
        key_id: str | None = None,
        owner: TenantRef | None = None,
        field_path: str | None = None,
    ) -> AuditEvent:
        """A field failed to decrypt while serving `actor` (the field path is protected)."""
        return cls(
            Action.DECRYPT_FAILURE,
            actor,
            "failure",
            objects=((object_id, version),),
            collection_id=collection_id,
            subject=owner,
            details={"reason": reason, "key_id": key_id},
            protected={"field": field_path} if field_path else None,
        )
