"""Errors of the crypto layer, mapped into the hub's error tree.

Every failure to open protected data — a ciphertext, a wrapped key, a row MAC or a JWE that does
not verify, a malformed token, a key that is unknown, retired past use or destroyed — is the one
opaque :class:`DecryptionFailed`, the way pyca/cryptography has one ``InvalidToken``: it carries
no detail, chains no cause and never a partial plaintext, so it cannot become an oracle. Callers
log and audit it. The other errors are about configuration, key state and bad input.
"""

from __future__ import annotations

from hub.errors import BadRequest, Conflict, HubError, ServiceUnavailable

__all__ = [
    "CryptoError",
    "DecryptionFailed",
    "InvalidValue",
    "KeyStateError",
    "KeyUnavailable",
]


class CryptoError(HubError):
    """Base of the crypto layer's errors."""

    title = "Cryptographic failure"
    error_code = "crypto-failure"


class DecryptionFailed(CryptoError):
    """Protected data could not be opened or verified. Deliberately says nothing more."""

    title = "Decryption failed"
    error_code = "decryption-failed"

    def __init__(self) -> None:
        super().__init__("protected data could not be opened")


class KeyUnavailable(CryptoError, ServiceUnavailable):
    """The key provider (keyring, HSM) is missing, misconfigured or not answering."""

    title = "Key provider unavailable"
    error_code = "key-provider-unavailable"


class KeyStateError(CryptoError, Conflict):
    """A key operation is not allowed in the key's current state."""

    title = "Key state conflict"
    error_code = "key-state-conflict"


class InvalidValue(CryptoError, BadRequest):
    """A value cannot be protected: not JSON, not a valid JWK, not normalisable."""

    title = "Invalid value for encryption"
    error_code = "invalid-crypto-value"
