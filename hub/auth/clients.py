"""API clients of tenants (RFC 6749 §2): registration, listing, revocation, secret rotation.

A client authenticates with a hub-generated secret (``client_secret_basic``/``_post`` and HTTP
Basic on the TAXII API) or, if registered with a public JWK set, with ``private_key_jwt``
(RFC 7523 §2.2) and then has no secret at all.
"""

from __future__ import annotations

import secrets
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, cast

import sqlalchemy as sa
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, KeySetSerialization, OKPKey, RSAKey
from sqlalchemy.orm import Session
from sqlmodel import col

from hub.auth.errors import InvalidClientSpec, UnknownClient, UnknownTenant
from hub.auth.hashing import dummy_hash, generate_secret, hash_secret, verify_secret
from hub.auth.scopes import ALL_SCOPES, TENANT_SCOPES, parse_scope, scopes_for_kind
from hub.store.db import Database
from hub.store.models import ApiClient, Tenant
from hub.store.tenants import communities_of, tenant_by_slug
from hub.types import TenantScope

__all__ = [
    "CLIENT_KEY_ALGS",
    "TENANT_SCOPES",
    "ClientInfo",
    "ClientRecord",
    "client_is_active",
    "create_client",
    "list_clients",
    "load_client",
    "register_key_client",
    "revoke_client",
    "rotate_secret",
    "scopes_for_kind",
    "validate_jwks",
    "validate_scopes",
]

_MIN_RSA_BITS = 2048
#: Signature algorithms a client may sign its assertions with (RFC 7518 §3.1, RFC 9864 §2).
CLIENT_KEY_ALGS = ("ES256", "ES384", "ES512", "Ed25519", "PS256", "PS384", "PS512", "RS256")


@dataclass(frozen=True, slots=True)
class ClientRecord:
    """What authentication needs to know about a client, read in one go."""

    client_id: str
    tenant: TenantScope
    tenant_active: bool
    scopes: frozenset[str]
    secret_hash: str | None
    jwks: dict[str, Any] | None
    revoked: bool

    @property
    def active(self) -> bool:
        """Not revoked, and its tenant is active."""
        return self.tenant_active and not self.revoked


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """A client as the operator sees it (never the secret)."""

    client_id: str
    tenant: str
    name: str
    scopes: list[str]
    auth_method: str
    created_at: datetime
    revoked_at: datetime | None


class _Forgetful(Protocol):
    def forget(self, client_id: str) -> None: ...


_watchers: weakref.WeakSet[Any] = weakref.WeakSet()


def watch(cache: _Forgetful) -> None:
    """Have `cache` forget a client as soon as this process revokes it or rotates its secret."""
    _watchers.add(cache)


def _changed(client_id: str) -> None:
    for cache in list(_watchers):
        cache.forget(client_id)


def validate_scopes(kind: str, scopes: Iterable[str]) -> list[str]:
    """The scopes, checked against what a tenant of `kind` may hold (RFC 6749 §3.3)."""
    wanted = parse_scope(scopes)
    if not wanted:
        raise InvalidClientSpec("A client needs at least one scope")
    unknown = [s for s in wanted if s not in ALL_SCOPES]
    if unknown:
        raise InvalidClientSpec(
            f"Unknown scope {', '.join(unknown)}; known: {', '.join(ALL_SCOPES)}"
        )
    allowed = scopes_for_kind(kind)
    refused = [s for s in wanted if s not in allowed]
    if refused:
        raise InvalidClientSpec(f"A {kind} tenant may not hold {', '.join(refused)}")
    return list(wanted)


def validate_jwks(jwks: Any) -> dict[str, Any]:
    """A client's public JWK set (RFC 7517 §5) with a kid on every key; private or weak keys fail.

    Accepted: EC P-256/P-384/P-521, OKP Ed25519, RSA of at least 2048 bits.
    """
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list) or not jwks["keys"]:
        raise InvalidClientSpec('A JWK set is a JSON object {"keys": [...]} with at least one key')
    for raw in jwks["keys"]:
        if not isinstance(raw, dict):
            raise InvalidClientSpec("Every JWK must be a JSON object")
        if any(p in raw for p in ("d", "p", "q", "dp", "dq", "qi", "k")):
            raise InvalidClientSpec("The JWK set must hold public keys only")
    try:
        keyset = KeySet.import_key_set(cast(KeySetSerialization, jwks))
    except (JoseError, ValueError, TypeError) as exc:
        raise InvalidClientSpec(f"Not a usable JWK set: {exc}") from None
    if len(keyset.keys) != len(jwks["keys"]):
        raise InvalidClientSpec("The JWK set holds a key of an unsupported type")
    for key in keyset.keys:
        if isinstance(key, RSAKey):
            if key.public_key.key_size < _MIN_RSA_BITS:
                raise InvalidClientSpec(f"RSA keys must have at least {_MIN_RSA_BITS} bits")
        elif isinstance(key, OKPKey):
            if key.curve_name != "Ed25519":
                raise InvalidClientSpec("OKP keys must be Ed25519")
        elif not isinstance(key, ECKey) or key.curve_name not in ("P-256", "P-384", "P-521"):
            raise InvalidClientSpec("Keys must be EC (P-256/384/521), Ed25519 or RSA")
        if key.alg is not None and key.alg not in CLIENT_KEY_ALGS:
            raise InvalidClientSpec(f"Client keys may declare only {', '.join(CLIENT_KEY_ALGS)}")
        if key.get("use", "sig") != "sig":
            raise InvalidClientSpec('Client keys must be signing keys ("use": "sig")')
    for key in keyset.keys:
        key.ensure_kid()
    kids = [k.kid for k in keyset.keys]
    if len(set(kids)) != len(kids):
        raise InvalidClientSpec("Two keys of the set share a kid")
    return dict(keyset.as_dict(private=False))


def _active_tenant(session: Session, slug: str) -> Tenant:
    tenant = tenant_by_slug(session, slug)
    if tenant is None or tenant.id is None or not tenant.active:
        raise UnknownTenant(f"No active tenant {slug!r}")
    return tenant


def _new_client_id(slug: str) -> str:
    return f"{slug}-{secrets.token_hex(8)}"


def _audit_created(session: Session, tenant: Tenant, client_id: str, scopes: Sequence[str]) -> None:
    """Record the registration in the audit trail, in the transaction that makes it."""
    from hub.audit import Actor, AuditEvent, AuditLog, TenantRef

    event = AuditEvent.client_created(
        Actor.system("clients"), client_id=client_id, owner=TenantRef.of(tenant), scopes=scopes
    )
    AuditLog.record(session, event)


def create_client(
    db: Database, tenant_slug: str, scopes: Sequence[str], name: str = ""
) -> tuple[str, str]:
    """Register a secret client; return (client_id, secret). The secret is stored only hashed."""
    secret = generate_secret()
    secret_hash = hash_secret(secret)
    client_id = _new_client_id(tenant_slug)
    with db.write_session() as session:
        tenant = _active_tenant(session, tenant_slug)
        assert tenant.id is not None
        session.add(
            ApiClient(
                client_id=client_id,
                tenant_id=tenant.id,
                name=name,
                secret_hash=secret_hash,
                scopes=validate_scopes(tenant.kind, scopes),
                created_at=datetime.now(UTC),
            )
        )
        _audit_created(session, tenant, client_id, scopes)
    return client_id, secret


def register_key_client(
    db: Database, tenant_slug: str, scopes: Sequence[str], jwks: Any, name: str = ""
) -> str:
    """Register a client that authenticates with ``private_key_jwt`` (RFC 7523 §2.2) only."""
    public = validate_jwks(jwks)
    client_id = _new_client_id(tenant_slug)
    with db.write_session() as session:
        tenant = _active_tenant(session, tenant_slug)
        assert tenant.id is not None
        session.add(
            ApiClient(
                client_id=client_id,
                tenant_id=tenant.id,
                name=name,
                secret_hash=None,
                jwks=public,
                scopes=validate_scopes(tenant.kind, scopes),
                created_at=datetime.now(UTC),
            )
        )
        _audit_created(session, tenant, client_id, scopes)
    return client_id


def list_clients(db: Database, tenant_slug: str | None = None) -> list[ClientInfo]:
    """Every client (of one tenant if given), by tenant then client id."""
    q = (
        sa.select(ApiClient, col(Tenant.slug))
        .join(Tenant, col(Tenant.id) == col(ApiClient.tenant_id))
        .order_by(col(Tenant.slug), col(ApiClient.client_id))
    )
    if tenant_slug is not None:
        q = q.where(col(Tenant.slug) == tenant_slug)
    with db.session() as session:
        rows = session.execute(q).all()
    return [
        ClientInfo(
            client_id=c.client_id,
            tenant=slug,
            name=c.name,
            scopes=list(c.scopes),
            auth_method="private_key_jwt" if c.jwks else "client_secret",
            created_at=c.created_at,
            revoked_at=c.revoked_at,
        )
        for c, slug in rows
    ]


def _client_row(session: Session, client_id: str) -> ApiClient:
    row = session.scalars(sa.select(ApiClient).where(col(ApiClient.client_id) == client_id)).first()
    if row is None:
        raise UnknownClient(f"No client {client_id!r}")
    return row


def revoke_client(db: Database, client_id: str) -> bool:
    """Revoke a client; True if it was active. Its tokens and cached logins stop working too."""
    with db.write_session() as session:
        row = _client_row(session, client_id)
        if row.revoked_at is not None:
            return False
        row.revoked_at = datetime.now(UTC)
        tenant = session.get(Tenant, row.tenant_id)
        if tenant is not None:
            from hub.audit import Actor, AuditEvent, AuditLog, TenantRef

            event = AuditEvent.client_revoked(
                Actor.system("clients"), client_id=client_id, owner=TenantRef.of(tenant)
            )
            AuditLog.record(session, event)
    _changed(client_id)
    return True


def rotate_secret(db: Database, client_id: str) -> str:
    """Replace an active secret client's secret; the old one stops working. Returns the new one."""
    secret = generate_secret()
    secret_hash = hash_secret(secret)
    with db.write_session() as session:
        row = _client_row(session, client_id)
        if row.revoked_at is not None:
            raise InvalidClientSpec(f"Client {client_id!r} is revoked")
        if row.jwks:
            raise InvalidClientSpec(f"Client {client_id!r} uses private_key_jwt: it has no secret")
        row.secret_hash = secret_hash
    _changed(client_id)
    return secret


def load_client(session: Session, client_id: str) -> ClientRecord | None:
    """The client `client_id` with its tenant scope, or None if there is no such client.

    Its scopes are cut down to what its tenant's kind may hold today.
    """
    row = session.execute(
        sa.select(ApiClient, Tenant)
        .join(Tenant, col(Tenant.id) == col(ApiClient.tenant_id))
        .where(col(ApiClient.client_id) == client_id)
    ).first()
    if row is None:
        return None
    client, tenant = row
    assert tenant.id is not None
    scope = TenantScope(
        tenant.id, tenant.slug, tenant.kind, tenant.identity_id, communities_of(session, tenant.id)
    )
    allowed = set(scopes_for_kind(tenant.kind))
    return ClientRecord(
        client_id=client.client_id,
        tenant=scope,
        tenant_active=bool(tenant.active),
        scopes=frozenset(s for s in client.scopes if s in allowed),
        secret_hash=client.secret_hash,
        jwks=client.jwks,
        revoked=client.revoked_at is not None,
    )


def client_is_active(db: Database, client_id: str, secret: str) -> bool:
    """True if the client exists, is active and `secret` is its secret (one slow hash, always)."""
    with db.session() as session:
        record = load_client(session, client_id)
    stored = record.secret_hash if record is not None and record.secret_hash else None
    ok = verify_secret(secret, stored or dummy_hash())
    return bool(ok and stored and record is not None and record.active)
