"""The key service: tenant keys from the database, unwrapped by the KMS, cached in memory; data
keys, row MACs and blind indexes on top; rotation and crypto-shredding primitives.

Hierarchy (envelope encryption, NIST SP 800-57 Part 1 §6.2.2 key-wrapping keys)::

    master key (KMS: keyring file or HSM)          wraps →  tenant keys (table tenant_key)
    tenant key "kek" (AES-256-GCM-SIV)             wraps →  one data key per object version
    data key (AES-256-GCM)                         encrypts → the version's protected fields
    tenant root "root" → HKDF → row-MAC key, one key per blind index

Caching: unwrapped tenant keys and the id of each tenant's active key are cached for
`cache_ttl` seconds, then re-checked against the database, so a rotation or a shred done by
another hub process takes effect here within `cache_ttl`. Two consequences for the jobs built on
these primitives: rewrap data keys only after `cache_ttl` has passed since a rotation (until then
another process may still wrap new data keys under the retired key), and count what remains
before destroying a retired key.

The service opens its own short transactions. On SQLite call :meth:`KeyService.ensure_tenant_keys`
(or :meth:`tenant_key`) before opening a write transaction of your own: key creation writes.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from hub.crypto import repository as repo
from hub.crypto.blind_index import BlindIndex, blind_index
from hub.crypto.envelope import parse
from hub.crypto.errors import DecryptionFailed, KeyStateError
from hub.crypto.fields import DataKey, decrypt_field, encrypt_field
from hub.crypto.kms import KeyProvider
from hub.crypto.mac import mac_key_id, row_mac, verify_row_mac
from hub.crypto.tenant_keys import PURPOSE_KEK, PURPOSE_ROOT, TenantKey, TenantRoot, tenant_key_aad
from hub.store.db import Database

__all__ = ["KeyService", "MasterRotation"]

_Key = TenantKey | TenantRoot


@dataclass(frozen=True, slots=True)
class MasterRotation:
    """The outcome of a master key rotation."""

    old_key_id: str
    new_key_id: str
    rewrapped: int


@dataclass(slots=True)
class _Cached:
    key: _Key
    wrapped: bytes
    expires: float


class KeyService:
    """Tenant keys and everything derived from them, for one hub process."""

    def __init__(
        self,
        db: Database,
        provider: KeyProvider,
        *,
        cache_ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.provider = provider
        self.cache_ttl = cache_ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, _Cached] = {}
        self._active: dict[tuple[int, str], tuple[str, float]] = {}

    # -- loading and caching --------------------------------------------------------------------

    def _build(self, row: repo.TenantKeyRow) -> _Cached:
        if row.state == "destroyed" or row.wrapped_key is None:
            raise DecryptionFailed()
        wrapped = bytes(row.wrapped_key)
        plain = self.provider.unwrap(
            wrapped, tenant_key_aad(row.tenant_id, row.key_id, row.purpose)
        )
        cls = TenantKey if row.purpose == PURPOSE_KEK else TenantRoot
        return _Cached(cls(row.tenant_id, row.key_id, plain, row.state), wrapped, 0.0)

    def _load(self, tenant_id: int, key_id: str, purpose: str) -> _Key:
        """Key `key_id` of `tenant_id` (any live state); :class:`DecryptionFailed` if gone."""
        now = self._clock()
        cached = self._keys.get(key_id)
        if cached is not None and cached.expires > now:
            key = cached.key
        else:
            with self.db.session() as session:
                row = repo.key_by_id(session, key_id)
            if row is None or row.tenant_id != tenant_id or row.purpose != purpose:
                self._keys.pop(key_id, None)
                raise DecryptionFailed()
            if row.state == "destroyed" or row.wrapped_key is None:
                self._keys.pop(key_id, None)
                raise DecryptionFailed()
            if cached is not None and cached.wrapped == bytes(row.wrapped_key):
                cached.key.state = row.state
            else:
                cached = self._build(row)
            cached.expires = now + self.cache_ttl
            self._keys[key_id] = cached
            key = cached.key
        if key.tenant_id != tenant_id:
            raise DecryptionFailed()
        return key

    def _active_id(self, tenant_id: int, purpose: str) -> str:
        now = self._clock()
        entry = self._active.get((tenant_id, purpose))
        if entry is not None and entry[1] > now:
            return entry[0]
        with self.db.session() as session:
            row = repo.active_key(session, tenant_id, purpose)
        kid = row.key_id if row is not None else self._create(tenant_id, purpose)
        self._active[(tenant_id, purpose)] = (kid, now + self.cache_ttl)
        return kid

    def _create(self, tenant_id: int, purpose: str, *, rotate: bool = False) -> str:
        """Insert a new active key (retiring the current one if `rotate`); returns its id."""
        kid = f"t{tenant_id}-{purpose}-{secrets.token_hex(8)}"
        key = os.urandom(32)
        master = self.provider.key_id
        wrapped = self.provider.wrap(key, tenant_key_aad(tenant_id, kid, purpose))
        now = datetime.now(UTC)
        row = repo.TenantKeyRow(
            tenant_id=tenant_id,
            key_id=kid,
            purpose=purpose,
            state="active",
            wrapped_key=wrapped,
            master_key_id=master,
            created_at=now,
        )
        try:
            with self.db.write_session() as session:
                if rotate:
                    repo.retire_active(session, tenant_id, purpose, now)
                repo.insert_key(session, row)
        except sa.exc.IntegrityError:
            if rotate:
                raise KeyStateError(f"tenant {tenant_id} is being rotated elsewhere") from None
            # Another process created the first key at the same time: use theirs.
            with self.db.session() as session:
                theirs = repo.active_key(session, tenant_id, purpose)
            if theirs is None:
                raise
            return theirs.key_id
        cls = TenantKey if purpose == PURPOSE_KEK else TenantRoot
        with self._lock:
            self._keys[kid] = _Cached(
                cls(tenant_id, kid, key), wrapped, self._clock() + self.cache_ttl
            )
        return kid

    def forget(self, tenant_id: int | None = None) -> None:
        """Drop cached keys (of one tenant, or all)."""
        with self._lock:
            if tenant_id is None:
                self._keys.clear()
                self._active.clear()
                return
            for kid in [k for k, c in self._keys.items() if c.key.tenant_id == tenant_id]:
                del self._keys[kid]
            for purpose in (PURPOSE_KEK, PURPOSE_ROOT):
                self._active.pop((tenant_id, purpose), None)

    # -- keys -----------------------------------------------------------------------------------

    def ensure_tenant_keys(self, tenant_id: int) -> None:
        """Create the tenant's key and root if missing (call at tenant creation)."""
        self._active_id(tenant_id, PURPOSE_KEK)
        self._active_id(tenant_id, PURPOSE_ROOT)

    def tenant_key(self, tenant_id: int) -> TenantKey:
        """The tenant's active key (created on first use), for wrapping new data keys."""
        key = self._load(tenant_id, self._active_id(tenant_id, PURPOSE_KEK), PURPOSE_KEK)
        assert isinstance(key, TenantKey)
        return key

    def tenant_root(self, tenant_id: int, key_id: str | None = None) -> TenantRoot:
        """The tenant's root (the active one, or `key_id`), for MACs and blind indexes."""
        kid = key_id or self._active_id(tenant_id, PURPOSE_ROOT)
        root = self._load(tenant_id, kid, PURPOSE_ROOT)
        assert isinstance(root, TenantRoot)
        return root

    def new_data_key(self, tenant_id: int) -> tuple[DataKey, bytes]:
        """A data key for a new object version, and its wrapped form to store with the version."""
        return self.tenant_key(tenant_id).new_data_key()

    def open_data_key(self, tenant_id: int, wrapped: bytes) -> DataKey:
        """Unwrap a stored data key (under the active or a retired tenant key)."""
        kid = parse(wrapped).kid
        key = self._load(tenant_id, kid, PURPOSE_KEK)
        assert isinstance(key, TenantKey)
        return key.open_data_key(wrapped)

    #: :func:`hub.crypto.fields.encrypt_field` and :func:`~hub.crypto.fields.decrypt_field`.
    encrypt_field = staticmethod(encrypt_field)
    decrypt_field = staticmethod(decrypt_field)

    def row_mac(self, tenant_id: int, fields: Mapping[str, Any]) -> str:
        """The row MAC of `fields` under the tenant's active root."""
        return row_mac(self.tenant_root(tenant_id), fields)

    def verify_row_mac(self, tenant_id: int, fields: Mapping[str, Any], mac: object) -> None:
        """Verify a row MAC under the root it names; :class:`DecryptionFailed` if it fails."""
        verify_row_mac(self.tenant_root(tenant_id, mac_key_id(mac)), fields, mac)

    def blind_index(self, tenant_id: int, index: BlindIndex, value: str) -> int:
        """The tenant's blind index value of `value` for `index`."""
        return blind_index(self.tenant_root(tenant_id), index, value)

    # -- tenant key rotation and shredding ------------------------------------------------------

    def rotate_tenant_key(self, tenant_id: int) -> TenantKey:
        """Make a new tenant key active at once; the old one is retired (still unwraps)."""
        kid = self._create(tenant_id, PURPOSE_KEK, rotate=True)
        with self._lock:
            self._active[(tenant_id, PURPOSE_KEK)] = (kid, self._clock() + self.cache_ttl)
            for cached in self._keys.values():
                k = cached.key
                if k.tenant_id == tenant_id and isinstance(k, TenantKey) and k.key_id != kid:
                    k.state = "retired"
        return self.tenant_key(tenant_id)

    def needs_rewrap(self, tenant_id: int, wrapped: bytes) -> bool:
        """Is this wrapped data key under another tenant key than the active one?"""
        return parse(wrapped).kid != self._active_id(tenant_id, PURPOSE_KEK)

    def rewrap_data_key(self, tenant_id: int, old_wrapped: bytes) -> bytes:
        """The data key rewrapped under the active tenant key (unchanged if already there)."""
        active = self.tenant_key(tenant_id)
        kid = parse(old_wrapped).kid
        if kid == active.key_id:
            return old_wrapped
        old = self._load(tenant_id, kid, PURPOSE_KEK)
        assert isinstance(old, TenantKey)
        return active.rewrap_from(old, old_wrapped)

    def destroy_key(self, tenant_id: int, key_id: str) -> None:
        """Crypto-shred one retired tenant key (after its data keys were rewrapped)."""
        with self.db.session() as session:
            row = repo.key_by_id(session, key_id)
        if row is None or row.tenant_id != tenant_id:
            raise KeyStateError(f"tenant {tenant_id} has no key {key_id}")
        if row.state == "active":
            raise KeyStateError("the active key cannot be destroyed: rotate first, or shred")
        self._destroy(tenant_id, [key_id])

    def shred_tenant(self, tenant_id: int) -> list[str]:
        """Crypto-shred every key of a tenant: all its protected data becomes unrecoverable."""
        return self._destroy(tenant_id, None)

    def _destroy(self, tenant_id: int, key_ids: list[str] | None) -> list[str]:
        with self.db.write_session() as session:
            conn = session.connection()
            sqlite = self.db.dialect == "sqlite"
            if sqlite:
                # Overwrite freed cells with zeros instead of leaving the old bytes in the file.
                before = conn.exec_driver_sql("PRAGMA secure_delete").scalar()
                conn.exec_driver_sql("PRAGMA secure_delete = ON")
            destroyed = repo.destroy_keys(session, tenant_id, datetime.now(UTC), key_ids)
            if sqlite:
                conn.exec_driver_sql(f"PRAGMA secure_delete = {int(before or 0)}")
        self.forget(tenant_id)
        self._scrub()
        return destroyed

    def _scrub(self) -> None:
        """Best effort: push destroyed bytes out of the WAL (SQLite) or dead tuples (PostgreSQL)."""
        with (
            contextlib.suppress(sa.exc.SQLAlchemyError),
            self.db.engine.connect() as conn,
        ):
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            if self.db.dialect == "sqlite":
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            else:
                conn.exec_driver_sql("VACUUM tenant_key")

    # -- master key rotation --------------------------------------------------------------------

    def rewrap_tenant_keys(self, batch: int = 100) -> int:
        """Rewrap every live tenant key not under the current master key; returns how many."""
        current = self.provider.key_id
        done = 0
        while True:
            with self.db.session() as session:
                rows = repo.keys_not_wrapped_by(session, current, batch)
            if not rows:
                return done
            for row in rows:
                assert row.wrapped_key is not None
                aad = tenant_key_aad(row.tenant_id, row.key_id, row.purpose)
                plain = self.provider.unwrap(bytes(row.wrapped_key), aad)
                wrapped = self.provider.wrap(plain, aad)
                with self.db.write_session() as session:
                    if repo.set_wrapped(session, row.key_id, row.master_key_id, wrapped, current):
                        done += 1
                self._keys.pop(row.key_id, None)

    def rotate_master_key(self) -> MasterRotation:
        """New master key in the KMS; rewrap the tenant keys (data keys are untouched)."""
        old = self.provider.key_id
        new = self.provider.rotate()
        return MasterRotation(old, new, self.rewrap_tenant_keys())

    def retire_master_key(self, key_id: str) -> None:
        """Destroy an old master key in the KMS once no live tenant key is wrapped by it."""
        with self.db.session() as session:
            remaining = repo.count_wrapped_by(session, key_id)
        if remaining:
            raise KeyStateError(f"{remaining} tenant keys are still wrapped by {key_id}")
        self.provider.destroy(key_id)
