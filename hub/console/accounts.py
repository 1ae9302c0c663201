"""Console accounts: people of a tenant with a role, a slow-hashed password and a TOTP second
factor. Every check that can fail takes the same time whether or not the account exists."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session
from sqlmodel import col

from hub.auth.hashing import dummy_hash, hash_secret, verify_secret
from hub.console import totp
from hub.crypto.keyring import LocalKeyring
from hub.errors import BadRequest, Conflict
from hub.store.db import Database
from hub.store.models import ConsoleUser, Tenant
from hub.store.tenants import communities_of, tenant_by_slug
from hub.types import TenantScope

__all__ = [
    "ROLES",
    "Account",
    "NewAccount",
    "Role",
    "authenticate",
    "create_user",
    "list_users",
    "scope_of",
]

Role = Literal["policy-officer", "analyst", "operator"]
ROLES: tuple[str, ...] = get_args(Role)
MIN_PASSWORD = 12


@dataclass(frozen=True, slots=True)
class Account:
    """A signed-in person as the console sees them."""

    user_id: int
    username: str
    display_name: str
    role: str
    tenant: TenantScope

    @property
    def may_write_policy(self) -> bool:
        """Only a policy officer changes the tenant's policy; analysts and operators read."""
        return self.role == "policy-officer"


@dataclass(frozen=True, slots=True)
class NewAccount:
    """What `create_user` hands back once: the password and TOTP secret are not stored in clear."""

    username: str
    tenant: str
    role: str
    password: str
    totp_secret: str
    totp_uri: str


def _totp_key(keyring: LocalKeyring) -> bytes:
    return HKDF(SHA256(), 32, salt=None, info=b"fusion-hub console totp v1").derive(
        keyring.secret("session")
    )


def seal_totp(keyring: LocalKeyring, username: str, secret: str) -> str:
    """The TOTP secret sealed with the keyring's console key, bound to the user name."""
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_totp_key(keyring)).encrypt(nonce, secret.encode(), username.encode())
    return "v1." + base64.urlsafe_b64encode(nonce + sealed).decode()


def open_totp(keyring: LocalKeyring, username: str, sealed: str) -> str | None:
    """The TOTP secret, or None if the sealed value is not this user's (moved, tampered)."""
    if not sealed.startswith("v1."):
        return None
    try:
        raw = base64.urlsafe_b64decode(sealed[3:])
        return AESGCM(_totp_key(keyring)).decrypt(raw[:12], raw[12:], username.encode()).decode()
    except (InvalidTag, ValueError):
        return None


def scope_of(session: Session, tenant: Tenant) -> TenantScope:
    """The tenant scope a console user of `tenant` acts in."""
    assert tenant.id is not None
    return TenantScope(
        tenant.id, tenant.slug, tenant.kind, tenant.identity_id, communities_of(session, tenant.id)
    )


def create_user(
    db: Database,
    keyring: LocalKeyring,
    *,
    tenant: str,
    username: str,
    role: str,
    display_name: str = "",
    password: str | None = None,
    issuer: str = "Fusion Hub",
) -> NewAccount:
    """Create a console account; the password (generated if None) and TOTP secret are returned
    once. Refuses an unknown tenant or role, a short password and a taken user name."""
    if role not in ROLES:
        raise BadRequest(f"role must be one of {', '.join(ROLES)}")
    username = username.strip()
    if not (3 <= len(username) <= 64) or not all(c.isalnum() or c in "._-@" for c in username):
        raise BadRequest("a user name is 3-64 letters, digits or . _ - @")
    password = password or secrets.token_urlsafe(15)
    if len(password) < MIN_PASSWORD:
        raise BadRequest(f"a password has at least {MIN_PASSWORD} characters")
    secret = totp.generate_secret()
    with db.write_session() as session:
        row = tenant_by_slug(session, tenant)
        if row is None or row.id is None or not row.active:
            raise BadRequest(f"no active tenant {tenant!r}")
        taken = session.scalars(
            sa.select(col(ConsoleUser.id)).where(col(ConsoleUser.username) == username)
        ).first()
        if taken is not None:
            raise Conflict(f"the user name {username!r} is taken")
        session.add(
            ConsoleUser(
                username=username,
                tenant_id=row.id,
                display_name=display_name or username,
                role=role,
                password_hash=hash_secret(password),
                totp_sealed=seal_totp(keyring, username, secret),
                created_at=datetime.now(UTC),
            )
        )
    return NewAccount(
        username=username,
        tenant=tenant,
        role=role,
        password=password,
        totp_secret=secret,
        totp_uri=totp.provisioning_uri(secret, account=username, issuer=issuer),
    )


def account_of(session: Session, user: ConsoleUser) -> Account | None:
    """The account of an enabled user of an active tenant, or None."""
    tenant = session.get(Tenant, user.tenant_id)
    if user.disabled_at is not None or tenant is None or not tenant.active or user.id is None:
        return None
    return Account(user.id, user.username, user.display_name, user.role, scope_of(session, tenant))


def authenticate(
    db: Database, keyring: LocalKeyring, username: str, password: str, code: str
) -> Account | None:
    """The account if the password and a fresh TOTP code are right, else None.

    The password is checked first and always (against a dummy hash for an unknown user), so
    timing tells nothing; the TOTP step is then recorded so the same code cannot sign in twice.
    """
    with db.write_session() as session:
        user = session.scalars(
            sa.select(ConsoleUser).where(col(ConsoleUser.username) == username.strip())
        ).first()
        if user is None:
            verify_secret(password, dummy_hash())
            return None
        if not verify_secret(password, user.password_hash):
            return None
        secret = open_totp(keyring, user.username, user.totp_sealed)
        if secret is None:
            return None
        step = totp.verify(secret, code, last_step=user.totp_last_step)
        if step is None:
            return None
        account = account_of(session, user)
        if account is None:
            return None
        user.totp_last_step = step
        session.add(user)
        return account


def list_users(db: Database, tenant: str | None = None) -> list[dict[str, object]]:
    """Every account (of `tenant` if given): name, tenant, role, created, disabled."""
    with db.session() as session:
        q = (
            sa.select(ConsoleUser, Tenant)
            .join(Tenant, col(Tenant.id) == col(ConsoleUser.tenant_id))
            .order_by(col(Tenant.slug), col(ConsoleUser.username))
        )
        if tenant is not None:
            q = q.where(col(Tenant.slug) == tenant)
        return [
            {
                "username": u.username,
                "tenant": t.slug,
                "role": u.role,
                "display_name": u.display_name,
                "created_at": u.created_at.isoformat(),
                "disabled": u.disabled_at is not None,
            }
            for u, t in session.execute(q).all()
        ]


def disable_user(db: Database, username: str) -> bool:
    """Disable an account and end its sessions; False if there is no such account."""
    from hub.console.sessions import end_user_sessions

    with db.write_session() as session:
        user = session.scalars(
            sa.select(ConsoleUser).where(col(ConsoleUser.username) == username)
        ).first()
        if user is None or user.id is None:
            return False
        user.disabled_at = datetime.now(UTC)
        session.add(user)
        end_user_sessions(session, user.id)
    return True


def token_digest(token: str) -> str:
    """How a session token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()
