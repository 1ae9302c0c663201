"""Opaque, stateless, tamper-proof `next` tokens (TAXII 2.1 §3.4.2).

A token is AES-256-GCM over the keyset position, with the reader's tenant, the endpoint and a
fingerprint of the query as associated data: it survives restarts, works on every hub process
sharing the keyring, reveals nothing, and fails for any other reader or query.
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
import time

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hub.errors import BadRequest

__all__ = ["InvalidPageToken", "PageTokens", "query_fingerprint"]

TOKEN_TTL_SECONDS = 24 * 3600
_PLAIN = struct.Struct(">qq")


class InvalidPageToken(BadRequest):
    """The `next` token is malformed, expired, or was not issued for this reader and query."""

    title = "Invalid next token"
    error_code = "invalid-next-token"


def query_fingerprint(*parts: object) -> str:
    """A stable digest of the query parameters a token is bound to."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


class PageTokens:
    """Issue and open `next` tokens with one 256-bit key."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(hashlib.sha256(b"fusion-hub next token v1" + key).digest())

    @staticmethod
    def _aad(tenant_id: int, fingerprint: str) -> bytes:
        return f"v1|{tenant_id}|{fingerprint}".encode()

    def issue(self, tenant_id: int, fingerprint: str, position: int) -> str:
        """A token that resumes after `position` for this tenant and query."""
        nonce = os.urandom(12)
        plain = _PLAIN.pack(position, int(time.time()))
        sealed = self._aead.encrypt(nonce, plain, self._aad(tenant_id, fingerprint))
        return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()

    def open(self, token: str, tenant_id: int, fingerprint: str) -> int:
        """The position a token resumes after; :class:`InvalidPageToken` if it is not ours."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            if len(raw) != 12 + _PLAIN.size + 16:
                raise ValueError
            plain = self._aead.decrypt(raw[:12], raw[12:], self._aad(tenant_id, fingerprint))
        except (ValueError, InvalidTag):
            raise InvalidPageToken(
                "The next token is not valid for this request; start again without it"
            ) from None
        position, issued = _PLAIN.unpack(plain)
        if time.time() - issued > TOKEN_TTL_SECONDS:
            raise InvalidPageToken("The next token has expired; start again without it")
        return int(position)
