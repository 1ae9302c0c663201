"""The ``local`` key provider: master keys in the keyring file, or ``HUB_MASTER_KEY``.

Wrapping is AES-256-GCM-SIV (RFC 8452) with the envelope header and the caller's context as
associated data (:mod:`hub.crypto.envelope`): nonce-misuse resistant, so even a repeated random
nonce would reveal nothing but equality of two wrapped keys.

* From the keyring (`fusion-hub init` creates ``<data_dir>/keyring.json``, mode 0600): the
  provider refuses a file that group or others can access, rotates by adding a key to the file,
  and picks up keys another process added.
* From ``HUB_MASTER_KEY`` (base64 of 32 bytes, e.g. from a secrets manager): its id is
  ``env-`` and a fingerprint (HMAC-SHA256 of a fixed label, not the key). It cannot rotate
  itself: set the new key as ``HUB_MASTER_KEY``, keep the old one in the previous keys, rewrap
  the tenant keys (:meth:`hub.crypto.service.KeyService.rewrap_tenant_keys`), then drop it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESGCMSIV

from hub.crypto.envelope import A256GCM, A256GCMSIV, Aead, open_envelope, parse, seal
from hub.crypto.errors import DecryptionFailed, KeyStateError, KeyUnavailable
from hub.crypto.keyring import KEYRING_FILE, KeyringError, LocalKeyring

__all__ = ["LocalKeyProvider", "env_key_id"]


def env_key_id(key: bytes) -> str:
    """The id of a master key given in the environment: a fingerprint, not the key."""
    return "env-" + hmac.new(key, b"fusion-hub master key id", hashlib.sha256).hexdigest()[:16]


def _decode_env_key(text: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyUnavailable("HUB_MASTER_KEY is not valid base64") from None
    if len(key) != 32:
        raise KeyUnavailable("HUB_MASTER_KEY must be 32 bytes (256 bits), base64-encoded")
    return key


class LocalKeyProvider:
    """Master keys held by the hub process itself (keyring file or environment)."""

    name = "local"

    def __init__(
        self,
        keyring: LocalKeyring | None = None,
        *,
        env_keys: dict[str, bytes] | None = None,
        env_current: str | None = None,
    ) -> None:
        if (keyring is None) == (env_current is None):
            raise ValueError("give either a keyring or environment keys")
        self._keyring = keyring
        self._env_keys = env_keys or {}
        self._env_current = env_current
        self._aeads: dict[str, Aead] = {}
        self._seen: tuple[int, int] | None = None

    @classmethod
    def from_data_dir(cls, data_dir: Path) -> LocalKeyProvider:
        """Open ``<data_dir>/keyring.json``; refuses a missing or exposed file."""
        keyring = LocalKeyring(data_dir / KEYRING_FILE)
        try:
            keyring.load()
        except KeyringError as exc:
            raise KeyUnavailable(exc.description) from None
        if keyring.current_master_key_id is None:
            raise KeyUnavailable(f"{keyring.path} has no master key; run `fusion-hub init`")
        return cls(keyring)

    @classmethod
    def from_master_key(cls, b64: str, *, previous: Sequence[str] = ()) -> LocalKeyProvider:
        """A provider for ``HUB_MASTER_KEY`` (and older keys still needed to unwrap)."""
        current = _decode_env_key(b64)
        keys = {env_key_id(k): k for k in (_decode_env_key(p) for p in previous)}
        keys[env_key_id(current)] = current
        return cls(env_keys=keys, env_current=env_key_id(current))

    def __repr__(self) -> str:
        return f"LocalKeyProvider(key_id={self.key_id!r})"

    @property
    def key_id(self) -> str:
        """The current master key id."""
        if self._keyring is None:
            assert self._env_current is not None
            return self._env_current
        try:
            self._keyring.reload_if_changed()
        except KeyringError as exc:
            raise KeyUnavailable(exc.description) from None
        kid = self._keyring.current_master_key_id
        if kid is None:
            raise KeyUnavailable("the keyring has no master key; run `fusion-hub init`")
        return kid

    def _key(self, kid: str) -> bytes | None:
        if self._keyring is None:
            return self._env_keys.get(kid)
        try:
            return self._keyring.master_key(kid)
        except KeyringError as exc:
            raise KeyUnavailable(exc.description) from None

    def _aead(self, kid: str, alg: int) -> Aead:
        if self._keyring is not None:
            # A key removed by another process must stop working here too.
            try:
                self._keyring.reload_if_changed()
            except KeyringError as exc:
                raise KeyUnavailable(exc.description) from None
            if self._keyring.stamp != self._seen:
                self._aeads.clear()
                self._seen = self._keyring.stamp
        aead = self._aeads.get(f"{alg}:{kid}")
        if aead is None:
            key = self._key(kid)
            if key is None:
                raise DecryptionFailed()
            aead = AESGCMSIV(key) if alg == A256GCMSIV else AESGCM(key)
            self._aeads[f"{alg}:{kid}"] = aead
        return aead

    def wrap(self, plaintext_key: bytes, aad: bytes) -> bytes:
        """Wrap under the current master key (AES-256-GCM-SIV)."""
        kid = self.key_id
        try:
            aead = self._aead(kid, A256GCMSIV)
        except DecryptionFailed:
            raise KeyUnavailable(f"master key {kid} is not in the keyring") from None
        return seal(aead, A256GCMSIV, kid, plaintext_key, aad)

    def unwrap(self, wrapped: bytes, aad: bytes) -> bytes:
        """Unwrap with the master key named in the envelope."""
        env = parse(wrapped)
        if env.alg not in (A256GCM, A256GCMSIV):
            raise DecryptionFailed()
        return open_envelope(self._aead(env.kid, env.alg), env, aad)

    def rotate(self) -> str:
        """Add a new master key to the keyring and make it current."""
        if self._keyring is None:
            raise KeyStateError(
                "HUB_MASTER_KEY comes from the environment: set a new key there, keep the old "
                "one among the previous master keys, and rewrap the tenant keys"
            )
        try:
            return self._keyring.add_master_key()
        except KeyringError as exc:
            raise KeyUnavailable(exc.description) from None

    def key_ids(self) -> list[str]:
        """Every master key id held."""
        if self._keyring is None:
            return sorted(self._env_keys)
        self._keyring.reload_if_changed()
        return self._keyring.master_key_ids()

    def destroy(self, key_id: str) -> None:
        """Remove a retired master key from the keyring."""
        if self._keyring is None:
            raise KeyStateError("remove the key from the environment instead")
        if key_id == self.key_id:
            raise KeyStateError("the current master key cannot be destroyed; rotate first")
        self._keyring.remove_master_key(key_id)
        for alg in (A256GCM, A256GCMSIV):
            self._aeads.pop(f"{alg}:{key_id}", None)
