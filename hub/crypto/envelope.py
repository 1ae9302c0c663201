"""The wrapped-key format: one binary envelope for every wrapped key.

Tenant keys wrapped by a master key and data keys wrapped by a tenant key use the same layout::

    offset  size  content
    0       1     format version: 0x01 ("fh1")
    1       1     algorithm: 0x01 A256GCM (NIST SP 800-38D), 0x02 A256GCM-SIV (RFC 8452)
    2       1     n, the length of the wrapping key's id
    3       n     the wrapping key's id (ASCII, [A-Za-z0-9_-])
    3+n     12    nonce (random, 96 bits: SP 800-38D §8.2.2; RFC 8452 §4)
    15+n    rest  ciphertext || 128-bit tag

The header (the first 3+n bytes) is prepended to the caller's associated data, so neither the
algorithm nor the key id can be swapped. This is AEAD key wrapping with associated data (RFC 5116
§2), not RFC 3394 key wrap: it binds context and costs one AEAD call.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidTag

from hub.crypto._encoding import check_kid
from hub.crypto.errors import DecryptionFailed

__all__ = [
    "A256GCM",
    "A256GCMSIV",
    "ALG_NAMES",
    "NONCE_SIZE",
    "Aead",
    "Envelope",
    "header",
    "open_envelope",
    "parse",
    "seal",
]

VERSION = 0x01
A256GCM = 0x01
A256GCMSIV = 0x02
ALG_NAMES = {A256GCM: "A256GCM", A256GCMSIV: "A256GCM-SIV"}
NONCE_SIZE = 12
TAG_SIZE = 16


class Aead(Protocol):
    """The interface of cryptography's ``AESGCM`` and ``AESGCMSIV``."""

    def encrypt(self, nonce: bytes, data: bytes, associated_data: bytes | None) -> bytes: ...

    def decrypt(self, nonce: bytes, data: bytes, associated_data: bytes | None) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Envelope:
    """A parsed wrapped key."""

    alg: int
    kid: str
    header: bytes
    nonce: bytes
    ciphertext: bytes


def header(alg: int, kid: str) -> bytes:
    """The envelope header for algorithm `alg` and wrapping key `kid`."""
    raw = check_kid(kid).encode("ascii")
    return bytes((VERSION, alg, len(raw))) + raw


def parse(blob: bytes) -> Envelope:
    """Split a wrapped key into its parts; anything malformed is :class:`DecryptionFailed`."""
    if len(blob) < 3 or blob[0] != VERSION or blob[1] not in ALG_NAMES:
        raise DecryptionFailed()
    n = blob[2]
    end = 3 + n
    if n == 0 or len(blob) < end + NONCE_SIZE + TAG_SIZE:
        raise DecryptionFailed()
    try:
        kid = blob[3:end].decode("ascii")
    except UnicodeDecodeError:
        raise DecryptionFailed() from None
    return Envelope(
        alg=blob[1],
        kid=kid,
        header=bytes(blob[:end]),
        nonce=bytes(blob[end : end + NONCE_SIZE]),
        ciphertext=bytes(blob[end + NONCE_SIZE :]),
    )


def seal(aead: Aead, alg: int, kid: str, plaintext: bytes, aad: bytes) -> bytes:
    """Wrap `plaintext` under `aead` (algorithm `alg`, key id `kid`), bound to `aad`."""
    head = header(alg, kid)
    nonce = os.urandom(NONCE_SIZE)
    return head + nonce + aead.encrypt(nonce, plaintext, head + aad)


def open_envelope(aead: Aead, env: Envelope, aad: bytes) -> bytes:
    """Unwrap a parsed envelope; a failed tag is :class:`DecryptionFailed`."""
    try:
        return aead.decrypt(env.nonce, env.ciphertext, env.header + aad)
    except InvalidTag:
        raise DecryptionFailed() from None
