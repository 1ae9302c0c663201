"""The ``pkcs11`` key provider: the master key is an AES-256 key inside an HSM and never leaves it.

Choice of mechanism. Tenant keys are wrapped by ``C_Encrypt`` with ``CKM_AES_GCM`` (PKCS#11
v2.40 §2.12.3; NIST SP 800-38D) and ``CK_GCM_PARAMS`` carrying a random 96-bit IV and the
envelope header plus the tenant-key context as AAD, inside the token. ``C_WrapKey`` is not used:
SoftHSM2 (the reference token the tests run against) rejects ``CKM_AES_GCM`` for ``C_WrapKey``
(``CKR_MECHANISM_INVALID``) and its ``CKM_AES_KEY_WRAP_PAD`` (RFC 5649) binds no associated
data. Encrypting the tenant key's bytes gives the same guarantee that matters — the master key
is generated in the token with ``CKA_SENSITIVE=true``, ``CKA_EXTRACTABLE=false`` and only
``CKA_ENCRYPT``/``CKA_DECRYPT``, so no API returns it — while keeping the AAD binding of every
other layer. The tenant key itself is in host memory anyway: it is cached there by design, and
unwrapping it is not on the hot path. The output uses the common envelope
(:mod:`hub.crypto.envelope`, algorithm A256GCM).

Master keys are token objects labelled `key_label` with ``CKA_ID`` = the key id
(``hsm-<UTC time>-<random>``, sortable): the current key is the newest. Rotation generates a new
key in the token; old ones still unwrap until destroyed.

Sessions are opened lazily and pooled per process. A process that forks (a server starting its
workers) must not reuse its parent's PKCS#11 state (PKCS#11 v2.40 §6.7.7): the library is
re-initialised once per pid and the pool is rebuilt. One "anchor" session per process holds the
login (login state is shared by all sessions of an application, §5.6); pooled sessions inherit it.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass
from pkcs11 import exceptions as p11e
from pkcs11.mechanisms import GCMParams

from hub.crypto.envelope import A256GCM, NONCE_SIZE, header, parse
from hub.crypto.errors import DecryptionFailed, KeyStateError, KeyUnavailable
from hub.crypto.keyring import new_master_key_id

__all__ = ["MASTER_KEY_TEMPLATE", "Pkcs11KeyProvider"]

#: Attributes of every master key generated in the token.
MASTER_KEY_TEMPLATE: dict[Attribute, Any] = {
    Attribute.TOKEN: True,
    Attribute.PRIVATE: True,
    Attribute.SENSITIVE: True,
    Attribute.EXTRACTABLE: False,
    Attribute.ENCRYPT: True,
    Attribute.DECRYPT: True,
    Attribute.WRAP: False,
    Attribute.UNWRAP: False,
    Attribute.SIGN: False,
    Attribute.VERIFY: False,
    Attribute.DERIVE: False,
    Attribute.MODIFIABLE: False,
}

#: Errors that mean "the token is not reachable", not "this ciphertext is bad".
_UNAVAILABLE = (
    p11e.DeviceError,
    p11e.DeviceMemory,
    p11e.DeviceRemoved,
    p11e.HostMemory,
    p11e.SessionClosed,
    p11e.SessionCount,
    p11e.SessionHandleInvalid,
    p11e.TokenNotPresent,
    p11e.TokenNotRecognised,
    p11e.UserNotLoggedIn,
    p11e.PinIncorrect,
    p11e.PinLocked,
    p11e.NoSuchToken,
)

_libs_lock = threading.Lock()
_libs: dict[str, tuple[int, Any]] = {}


def _reset_after_fork() -> None:
    global _libs_lock
    _libs_lock = threading.Lock()


os.register_at_fork(after_in_child=_reset_after_fork)


def _library(path: str) -> Any:
    """The loaded PKCS#11 library, initialised for this process (re-initialised after a fork)."""
    pid = os.getpid()
    with _libs_lock:
        entry = _libs.get(path)
        if entry is not None and entry[0] == pid:
            return entry[1]
        lib = pkcs11.lib(path)
        if entry is not None:  # loaded by our parent: its state is not ours (§6.7.7)
            lib.reinitialize()
        _libs[path] = (pid, lib)
        return lib


class _Pooled:
    """A session and the key handles found through it."""

    __slots__ = ("keys", "session")

    def __init__(self, session: Any) -> None:
        self.session = session
        self.keys: dict[str, Any] = {}


class Pkcs11KeyProvider:
    """Master keys inside a PKCS#11 token (an HSM; SoftHSM2 in tests)."""

    name = "pkcs11"

    def __init__(
        self,
        *,
        library: str,
        token_label: str,
        pin: str,
        key_label: str = "fusion-hub-master",
        pool_size: int = 4,
    ) -> None:
        self.library = library
        self.token_label = token_label
        self.key_label = key_label
        self._pin = pin
        self._pool_size = pool_size
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._token: Any = None
        self._anchor: Any = None
        self._pool: list[_Pooled] = []

    def __repr__(self) -> str:
        return f"Pkcs11KeyProvider(token={self.token_label!r}, key_label={self.key_label!r})"

    # -- sessions -------------------------------------------------------------------------------

    def _attach(self) -> None:
        """Open the token for this process: after a fork, forget the parent's sessions."""
        pid = os.getpid()
        if self._pid == pid:
            return
        self._lock = threading.Lock()
        self._pool = []
        try:
            lib = _library(self.library)
            self._token = lib.get_token(token_label=self.token_label)
            self._anchor = self._token.open(user_pin=self._pin, rw=True)
        except p11e.UserAlreadyLoggedIn:
            # Another provider of this process holds the login already; it is shared (§5.6).
            self._anchor = None
        except (p11e.PKCS11Error, OSError, RuntimeError) as exc:
            raise KeyUnavailable(f"PKCS#11 token {self.token_label!r}: {exc!r}") from None
        self._pid = pid

    @contextlib.contextmanager
    def _session(self) -> Iterator[_Pooled]:
        with self._lock:
            self._attach()
            pooled = self._pool.pop() if self._pool else None
        if pooled is None:
            try:
                pooled = _Pooled(self._token.open(rw=True))
            except p11e.PKCS11Error as exc:
                raise KeyUnavailable(f"PKCS#11 session: {exc!r}") from None
        pid = self._pid
        healthy = True
        try:
            yield pooled
        except _UNAVAILABLE as exc:
            healthy = False
            raise KeyUnavailable(f"PKCS#11 token {self.token_label!r}: {exc!r}") from None
        finally:
            with self._lock:
                keep = healthy and pid == self._pid and len(self._pool) < self._pool_size
                if keep:
                    self._pool.append(pooled)
            if not keep:
                with contextlib.suppress(p11e.PKCS11Error):
                    pooled.session.close()

    def _key(self, pooled: _Pooled, kid: str) -> Any:
        key = pooled.keys.get(kid)
        if key is None:
            key = pooled.session.get_key(
                object_class=ObjectClass.SECRET_KEY, label=self.key_label, id=kid.encode()
            )
            pooled.keys[kid] = key
        return key

    # -- KeyProvider ----------------------------------------------------------------------------

    def key_ids(self) -> list[str]:
        """Every master key id in the token, oldest first."""
        with self._session() as pooled:
            objs = pooled.session.get_objects(
                {Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.LABEL: self.key_label}
            )
            return sorted(bytes(o[Attribute.ID]).decode("ascii") for o in objs)

    @property
    def key_id(self) -> str:
        """The newest master key in the token."""
        ids = self.key_ids()
        if not ids:
            raise KeyUnavailable(
                f"token {self.token_label!r} has no master key {self.key_label!r}; "
                "run `fusion-hub init`"
            )
        return ids[-1]

    def ensure_key(self) -> str:
        """The current master key id, generating the first one if the token has none."""
        ids = self.key_ids()
        return ids[-1] if ids else self.rotate()

    def wrap(self, plaintext_key: bytes, aad: bytes) -> bytes:
        """Encrypt `plaintext_key` in the token: AES-256-GCM, AAD = envelope header + `aad`."""
        kid = self.key_id
        head = header(A256GCM, kid)
        nonce = os.urandom(NONCE_SIZE)
        with self._session() as pooled:
            try:
                sealed = self._key(pooled, kid).encrypt(
                    plaintext_key,
                    mechanism=Mechanism.AES_GCM,
                    mechanism_param=GCMParams(nonce, head + aad),
                )
            except _UNAVAILABLE:
                raise
            except p11e.PKCS11Error as exc:
                raise KeyUnavailable(f"PKCS#11 wrap failed: {exc!r}") from None
        return head + nonce + bytes(sealed)

    def unwrap(self, wrapped: bytes, aad: bytes) -> bytes:
        """Decrypt in the token; a bad tag, context or key id is :class:`DecryptionFailed`."""
        env = parse(wrapped)
        if env.alg != A256GCM:
            raise DecryptionFailed()
        with self._session() as pooled:
            try:
                key = self._key(pooled, env.kid)
                plain = key.decrypt(
                    env.ciphertext,
                    mechanism=Mechanism.AES_GCM,
                    mechanism_param=GCMParams(env.nonce, env.header + aad),
                )
            except _UNAVAILABLE:
                raise
            except p11e.PKCS11Error:
                pooled.keys.pop(env.kid, None)
                raise DecryptionFailed() from None
        return bytes(plain)

    def rotate(self) -> str:
        """Generate a new, non-extractable master key in the token; it becomes current."""
        existing = self.key_ids()
        kid = new_master_key_id("hsm")
        for _ in range(10_000):  # the newest key is current: ids must stay ordered
            if not existing or kid > existing[-1]:
                break
            kid = new_master_key_id("hsm")
        else:
            raise KeyStateError(f"the token's newest key {existing[-1]} is dated in the future")
        with self._session() as pooled:
            pooled.session.generate_key(
                KeyType.AES,
                256,
                id=kid.encode("ascii"),
                label=self.key_label,
                store=True,
                capabilities=MechanismFlag.ENCRYPT | MechanismFlag.DECRYPT,
                template=MASTER_KEY_TEMPLATE,
            )
        return kid

    def destroy(self, key_id: str) -> None:
        """Destroy a retired master key object in the token."""
        if key_id == self.key_id:
            raise KeyStateError("the current master key cannot be destroyed; rotate first")
        with self._session() as pooled:
            try:
                self._key(pooled, key_id).destroy()
            except p11e.NoSuchKey:
                return
        with self._lock:
            for p in self._pool:
                p.keys.pop(key_id, None)

    def key_attributes(self, key_id: str) -> dict[str, bool]:
        """The security attributes of a master key, as the token reports them (for checks)."""
        names = ("SENSITIVE", "EXTRACTABLE", "ALWAYS_SENSITIVE", "NEVER_EXTRACTABLE", "TOKEN")
        with self._session() as pooled:
            key = self._key(pooled, key_id)
            return {n.lower(): bool(key[getattr(Attribute, n)]) for n in names}
