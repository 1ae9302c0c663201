"""Field encryption: JSON values under a per-version data key, AES-256-GCM (NIST SP 800-38D).

A field ciphertext is a compact string::

    fh1.A256GCM.<data key id>.<base64url(nonce || ciphertext || tag)>

* ``fh1`` — the format version; ``A256GCM`` — the algorithm; the data key id — which key.
  Formats, algorithms and keys can therefore change without a flag day: a reader dispatches on
  the prefix.
* nonce — 96 random bits per encryption (SP 800-38D §8.2.2). A data key encrypts the handful of
  fields of one object version, so the 2^32-invocation bound of §8.3 is never approached.
* plaintext — the canonical JSON of the value (orjson, keys sorted) padded with JSON whitespace to
  a multiple of :data:`PAD_TO` bytes, so the ciphertext length reveals the value's length only to
  that granularity. Whitespace is insignificant JSON (RFC 8259 §2): decryption just parses.
* associated data — :meth:`hub.crypto.context.FieldContext.aad` (tenant, object id, modified,
  field path, algorithm, key id; RFC 5116 §2.1).

Every failure — malformed token, wrong key, edited byte, other context — is the one opaque
:class:`hub.crypto.errors.DecryptionFailed`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hub.crypto._encoding import FORMAT, b64d, b64e, canonical_json, check_kid, load_json
from hub.crypto.context import FieldContext, aad_suffix
from hub.crypto.errors import DecryptionFailed, InvalidValue

__all__ = [
    "DATA_KEY_SIZE",
    "FIELD_ALG",
    "PAD_TO",
    "Ciphertext",
    "DataKey",
    "decrypt_field",
    "encrypt_field",
    "is_ciphertext",
    "parse_ciphertext",
]

FIELD_ALG = "A256GCM"
DATA_KEY_SIZE = 32
PAD_TO = 16
_NONCE = 12
_MIN_PAYLOAD = _NONCE + 16
_PREFIX = f"{FORMAT}.{FIELD_ALG}."


class DataKey:
    """A data key of one object version, in memory only. ``repr`` never shows the key."""

    __slots__ = ("_aad", "_aead", "_prefix", "kid", "tenant_id")

    def __init__(self, tenant_id: int, kid: str, key: bytes) -> None:
        if len(key) != DATA_KEY_SIZE:
            raise InvalidValue("a data key is 256 bits")
        self.tenant_id = tenant_id
        self.kid = check_kid(kid)
        self._aead = AESGCM(key)
        self._prefix = f"{_PREFIX}{kid}."
        self._aad = aad_suffix(FIELD_ALG, kid)

    def __repr__(self) -> str:
        return f"DataKey(tenant_id={self.tenant_id}, kid={self.kid!r}, key=***)"


@dataclass(frozen=True, slots=True)
class Ciphertext:
    """A parsed field ciphertext."""

    version: str
    alg: str
    kid: str
    payload: bytes


def is_ciphertext(value: object) -> bool:
    """Does `value` look like a field ciphertext of a format this code reads? (No verification.)"""
    return isinstance(value, str) and value.startswith(_PREFIX) and value.count(".") == 3


def parse_ciphertext(token: object) -> Ciphertext:
    """Split a field ciphertext into version, algorithm, key id and payload.

    Raises :class:`DecryptionFailed` for anything but a well-formed token of a known version.
    """
    if not isinstance(token, str):
        raise DecryptionFailed()
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != FORMAT or parts[1] != FIELD_ALG:
        raise DecryptionFailed()
    payload = b64d(parts[3])
    if len(payload) < _MIN_PAYLOAD or not parts[2]:
        raise DecryptionFailed()
    return Ciphertext(parts[0], parts[1], parts[2], payload)


def encrypt_field(data_key: DataKey, ctx: FieldContext, value: Any) -> str:
    """Encrypt the JSON value `value` of the field `ctx` under `data_key`."""
    if ctx.obj.tenant_id != data_key.tenant_id:
        raise InvalidValue("the data key belongs to another tenant")
    plaintext = canonical_json(value)
    short = -len(plaintext) % PAD_TO
    if short:
        plaintext += b" " * short
    nonce = os.urandom(_NONCE)
    sealed = data_key._aead.encrypt(nonce, plaintext, ctx._partial + data_key._aad)
    return data_key._prefix + b64e(nonce + sealed)


def decrypt_field(data_key: DataKey, ctx: FieldContext, token: object) -> Any:
    """Decrypt a field ciphertext back to its JSON value, or raise :class:`DecryptionFailed`."""
    if (
        not isinstance(token, str)
        or not token.startswith(data_key._prefix)
        or ctx.obj.tenant_id != data_key.tenant_id
    ):
        raise DecryptionFailed()
    payload = b64d(token[len(data_key._prefix) :])
    if len(payload) < _MIN_PAYLOAD:
        raise DecryptionFailed()
    try:
        plaintext = data_key._aead.decrypt(
            payload[:_NONCE], payload[_NONCE:], ctx._partial + data_key._aad
        )
    except InvalidTag:
        raise DecryptionFailed() from None
    return load_json(plaintext)
