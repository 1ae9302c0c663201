"""The checkpoint signing key: Ed25519 (RFC 8032), derived from the keyring.

The private key is derived with HKDF-SHA256 (RFC 5869) from the keyring's ``audit-chain``
secret rather than kept in a file of its own: the keyring is already the one secret file of the
data directory that `fusion-hub init` creates atomically with mode 0600 and that the hub refuses
to use when exposed, every hub process (on every host) shares it, and it is backed up and
replaced as one unit. The key never touches the database, so someone who can rewrite the
database — a DBA, an injected statement — cannot forge checkpoints. A KMS or HSM backend can
later implement the same two operations (:class:`Signer`) without changing the trail.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hub.audit.canonical import checkpoint_message
from hub.audit.errors import SigningKeyUnavailable
from hub.errors import HubError
from hub.timeutil import format_micros, parse_taxii_timestamp

__all__ = ["Checkpoint", "CheckpointSigner", "PublicKey", "SecretSource", "Signer", "key_id_of"]

_INFO = b"fusion-hub audit checkpoint signing key v1"
KEYRING_SECRET = "audit-chain"  # noqa: S105 (the name of a keyring entry)


def key_id_of(public: Ed25519PublicKey) -> str:
    """The key id: the first 16 bytes of SHA-256 of the raw public key, in hex."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:32]


class PublicKey:
    """A checkpoint verification key, as tenants download it."""

    def __init__(self, key: Ed25519PublicKey) -> None:
        self.key = key
        self.key_id = key_id_of(key)

    @classmethod
    def from_pem(cls, pem: bytes) -> PublicKey:
        """Load a PEM SubjectPublicKeyInfo (what ``/api/v1/audit/public-key`` serves)."""
        key = serialization.load_pem_public_key(pem)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return cls(key)

    def pem(self) -> str:
        """PEM SubjectPublicKeyInfo."""
        return self.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def verify(self, signature_hex: str, message: bytes) -> bool:
        """True if `signature_hex` is this key's signature of `message`."""
        try:
            self.key.verify(bytes.fromhex(signature_hex), message)
        except (InvalidSignature, ValueError):
            return False
        return True


class SecretSource(Protocol):
    """Where the key comes from: anything with named secrets, like the local keyring."""

    def secret(self, name: str) -> bytes:
        """The secret called `name`."""
        ...


class Signer(Protocol):
    """What the trail needs of a signing key."""

    @property
    def public(self) -> PublicKey: ...

    def sign(self, message: bytes) -> str:
        """The signature of `message`, in hex."""
        ...


class CheckpointSigner:
    """An Ed25519 key held in memory."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.public = PublicKey(private.public_key())

    @classmethod
    def from_secret(cls, secret: bytes) -> CheckpointSigner:
        """Derive the key from a 256-bit secret (HKDF-SHA256, fixed info string)."""
        if len(secret) < 32:
            raise SigningKeyUnavailable("the audit-chain secret is too short")
        seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret)
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def from_keyring(cls, keyring: SecretSource) -> CheckpointSigner:
        """From the keyring's ``audit-chain`` secret (:class:`hub.crypto.keyring.LocalKeyring`)."""
        try:
            value = keyring.secret(KEYRING_SECRET)
        except HubError as exc:
            raise SigningKeyUnavailable(exc.description) from None
        return cls.from_secret(value)

    def sign(self, message: bytes) -> str:
        """Sign `message`; hex signature."""
        return self._private.sign(message).hex()


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement "entry `seq` of the trail has hash `hash`" (see
    :func:`hub.audit.canonical.checkpoint_message`)."""

    seq: int
    hash: str
    time: int
    kind: str
    key_id: str
    signature: str

    @classmethod
    def sign(cls, signer: Signer, seq: int, hash_: str, time: int, kind: str) -> Checkpoint:
        """Sign the head `(seq, hash_)` now."""
        key_id = signer.public.key_id
        signature = signer.sign(checkpoint_message(seq, hash_, time, kind, key_id))
        return cls(seq, hash_, time, kind, key_id, signature)

    @classmethod
    def from_row(cls, row: Any) -> Checkpoint:
        """From a row of ``audit_checkpoint``."""
        return cls(row.seq, row.hash, row.time, row.kind, row.key_id, row.signature)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Checkpoint:
        """From the JSON form (:meth:`as_dict`), as a tenant downloaded it; ValueError if bad."""
        try:
            return cls(
                int(doc["seq"]),
                str(doc["hash"]),
                parse_taxii_timestamp(str(doc["time"])),
                str(doc["kind"]),
                str(doc["key_id"]),
                str(doc["signature"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a checkpoint: {exc}") from None

    def as_dict(self) -> dict[str, Any]:
        """JSON form: what tenants download and keep."""
        return {
            "seq": self.seq,
            "hash": self.hash,
            "time": format_micros(self.time),
            "kind": self.kind,
            "key_id": self.key_id,
            "signature": self.signature,
            "algorithm": "Ed25519",
        }

    def message(self) -> bytes:
        """The signed bytes."""
        return checkpoint_message(self.seq, self.hash, self.time, self.kind, self.key_id)

    def verify(self, public: PublicKey) -> bool:
        """True if signed by `public` (the key id must match too)."""
        return self.key_id == public.key_id and public.verify(self.signature, self.message())
