"""Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP): SHA-1, 6 digits, 30 s steps,
the parameters every authenticator app uses. A code is accepted for the current step and one
step either side (clock drift), and never twice (the caller stores the last accepted step)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote, urlencode

__all__ = ["STEP", "generate_secret", "now_code", "provisioning_uri", "verify"]

STEP = 30
DIGITS = 6


def generate_secret() -> str:
    """A new 160-bit secret in base32 without padding (what authenticator apps accept)."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def _key(secret: str) -> bytes:
    return base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))


def hotp(secret: str, counter: int) -> str:
    """The RFC 4226 code of `secret` at `counter`."""
    mac = hmac.new(_key(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def now_code(secret: str, at: float | None = None) -> str:
    """The code an authenticator shows at time `at` (now by default)."""
    return hotp(secret, int((time.time() if at is None else at) // STEP))


def verify(secret: str, code: str, *, last_step: int, at: float | None = None) -> int | None:
    """The time step `code` belongs to if it is valid and later than `last_step`, else None."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    current = int((time.time() if at is None else at) // STEP)
    found: int | None = None
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(hotp(secret, step), code) and step > last_step:
            found = step
    return found


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app imports (as a QR code or by hand)."""
    label = quote(f"{issuer}:{account}")
    query = urlencode({"secret": secret, "issuer": issuer, "digits": DIGITS, "period": STEP})
    return f"otpauth://totp/{label}?{query}"
