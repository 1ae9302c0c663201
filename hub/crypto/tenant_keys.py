"""Tenant keys in memory: the key that wraps a tenant's data keys, and the tenant's HKDF root.

Each tenant has two kinds of key, both random 256-bit, stored only wrapped by the master key
(table ``tenant_key``) and cached in memory once unwrapped:

* :class:`TenantKey` (purpose ``kek``) wraps the data key of every object version of the tenant,
  with AES-256-GCM-SIV (RFC 8452): a tenant may wrap billions of data keys under one key, and
  GCM-SIV keeps random 96-bit nonces safe far beyond AES-GCM's 2^32 bound (SP 800-38D §8.3).
  It rotates: new writes use the new key at once, older data keys are rewrapped by a job.
* :class:`TenantRoot` (purpose ``root``) is the HKDF input keying material (RFC 5869) of the
  keys that must stay stable while the tenant key rotates: the row-MAC key and one key per blind
  index. Separate roots keep indexes and MACs valid across rotations; shredding destroys both.

A wrapped data key is the envelope of :mod:`hub.crypto.envelope` (kid = the tenant key id) over
``data key id (8 bytes) || data key (32 bytes)``, with associated data
``encode_context("data-key", tenant id, tenant key id)``.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hub.crypto._encoding import b64e, encode_context
from hub.crypto.envelope import A256GCMSIV, open_envelope, parse, seal
from hub.crypto.errors import DecryptionFailed
from hub.crypto.fields import DATA_KEY_SIZE, DataKey

__all__ = [
    "PURPOSE_KEK",
    "PURPOSE_ROOT",
    "TenantKey",
    "TenantRoot",
    "hkdf",
    "tenant_key_aad",
]

PURPOSE_KEK = "kek"
PURPOSE_ROOT = "root"
_DKID = 8


def tenant_key_aad(tenant_id: int, key_id: str, purpose: str) -> bytes:
    """The associated data binding a wrapped tenant key to its tenant, id and purpose."""
    return encode_context("tenant-key", tenant_id, key_id, purpose)


def hkdf(ikm: bytes, info: bytes, length: int = 32) -> bytes:
    """HKDF-SHA256 (RFC 5869 §2) without salt: `ikm` is already a uniformly random key (§3.1)."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(ikm)


class TenantKey:
    """The key that wraps one tenant's data keys. ``repr`` never shows the key."""

    __slots__ = ("_aad", "_aead", "key_id", "state", "tenant_id")

    def __init__(self, tenant_id: int, key_id: str, key: bytes, state: str = "active") -> None:
        self.tenant_id = tenant_id
        self.key_id = key_id
        self.state = state
        self._aead = AESGCMSIV(key)
        self._aad = encode_context("data-key", tenant_id, key_id)

    def __repr__(self) -> str:
        return f"TenantKey(tenant_id={self.tenant_id}, key_id={self.key_id!r}, key=***)"

    def new_data_key(self) -> tuple[DataKey, bytes]:
        """A fresh data key and its wrapped form (to store next to the object version)."""
        raw_id = os.urandom(_DKID)
        key = os.urandom(DATA_KEY_SIZE)
        wrapped = seal(self._aead, A256GCMSIV, self.key_id, raw_id + key, self._aad)
        return DataKey(self.tenant_id, b64e(raw_id), key), wrapped

    def _unwrap(self, wrapped: bytes) -> bytes:
        env = parse(wrapped)
        if env.kid != self.key_id or env.alg != A256GCMSIV:
            raise DecryptionFailed()
        plain = open_envelope(self._aead, env, self._aad)
        if len(plain) != _DKID + DATA_KEY_SIZE:
            raise DecryptionFailed()
        return plain

    def open_data_key(self, wrapped: bytes) -> DataKey:
        """Unwrap a data key this tenant key wrapped."""
        plain = self._unwrap(wrapped)
        return DataKey(self.tenant_id, b64e(plain[:_DKID]), plain[_DKID:])

    def rewrap_from(self, old: TenantKey, wrapped: bytes) -> bytes:
        """Rewrap a data key wrapped by `old` under this key; the data key (and its id) stay."""
        if old.tenant_id != self.tenant_id:
            raise DecryptionFailed()
        plain = old._unwrap(wrapped)
        return seal(self._aead, A256GCMSIV, self.key_id, plain, self._aad)


class TenantRoot:
    """A tenant's HKDF root: row-MAC and blind-index keys derive from it (RFC 5869)."""

    __slots__ = (
        "_hmac_pads",
        "_index_keys",
        "_mac_key",
        "_root",
        "key_id",
        "mac_prefix",
        "state",
        "tenant_id",
    )

    def __init__(self, tenant_id: int, key_id: str, root: bytes, state: str = "active") -> None:
        self.tenant_id = tenant_id
        self.key_id = key_id
        self.state = state
        self._root = root
        self._mac_key: bytes | None = None
        self._hmac_pads: tuple[Any, Any] | None = None
        self._index_keys: dict[str, bytes] = {}
        #: The first bytes of every row-MAC message under this root (hub.crypto.mac).
        self.mac_prefix = encode_context("row-mac", tenant_id, key_id)

    def __repr__(self) -> str:
        return f"TenantRoot(tenant_id={self.tenant_id}, key_id={self.key_id!r}, key=***)"

    @property
    def mac_key(self) -> bytes:
        """The row-MAC key: HKDF(root, info = context("row-mac", tenant, root id))."""
        if self._mac_key is None:
            info = encode_context("row-mac", self.tenant_id, self.key_id)
            self._mac_key = hkdf(self._root, info)
        return self._mac_key

    def mac(self, message: bytes) -> bytes:
        """HMAC-SHA256 (RFC 2104) of `message` under :attr:`mac_key`.

        The hash states after the inner and outer padded keys are computed once and copied
        per message: the same function as ``hmac.digest``, without its per-call key set-up,
        which cost more than hashing a row's metadata.
        """
        if self._hmac_pads is None:
            if len(self.mac_key) > 64:  # RFC 2104 §2 would hash it first; HKDF gives 32 bytes
                raise ValueError("a row-MAC key longer than the SHA-256 block")
            key = self.mac_key.ljust(64, b"\0")
            inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
            outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
            self._hmac_pads = (inner, outer)
        inner, outer = self._hmac_pads
        h = inner.copy()
        h.update(message)
        o = outer.copy()
        o.update(h.digest())
        return o.digest()

    def index_key(self, index_name: str) -> bytes:
        """The key of one blind index: HKDF(root, info = context("blind-index", ..., name))."""
        key = self._index_keys.get(index_name)
        if key is None:
            info = encode_context("blind-index", self.tenant_id, self.key_id, index_name)
            key = self._index_keys[index_name] = hkdf(self._root, info)
        return key
