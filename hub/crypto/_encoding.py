"""Canonical encodings shared by every format of the crypto layer.

* :func:`encode_context` — the associated data (RFC 5116 §2.1 "A") of every ciphertext and the
  input prefix of every MAC: a format tag, a purpose label and a fixed sequence of fields, each
  prefixed with its 32-bit big-endian length. Length prefixes make the encoding injective: no two
  different field sequences encode to the same bytes, whatever characters the fields contain.
* :func:`canonical_json` — JSON values as the bytes that are encrypted or MACed: orjson, keys
  sorted, no insignificant whitespace, UTF-8.
* :func:`b64e` / :func:`b64d` — unpadded base64url (RFC 4648 §5), as JOSE uses (RFC 7515 §2).
"""

from __future__ import annotations

import binascii
import re
import struct
from typing import Any

import orjson

from hub.crypto.errors import DecryptionFailed, InvalidValue

__all__ = [
    "FORMAT",
    "KID_RE",
    "b64d",
    "b64e",
    "canonical_json",
    "check_kid",
    "encode_context",
    "load_json",
]

#: The version tag of every format the crypto layer writes (ciphertexts, wrapped keys, MACs).
FORMAT = "fh1"
_FORMAT_BYTES = FORMAT.encode()
#: Key identifiers: short, URL-safe, no dots (the separator of compact tokens).
KID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_pack_len = struct.Struct(">I").pack
_TO_URL = bytes.maketrans(b"+/", b"-_")
_FROM_URL = bytes.maketrans(b"-_", b"+/")
_B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
#: Bits of the last character that must be zero, by ``len % 4`` (canonical encoding only).
_SPARE_BITS = {0: 0, 2: 0x0F, 3: 0x03}


def check_kid(kid: str) -> str:
    """Return `kid` if it is a well-formed key id, else raise :class:`InvalidValue`."""
    if not KID_RE.match(kid):
        raise InvalidValue(f"{kid!r} is not a valid key id ([A-Za-z0-9_-]{{1,64}})")
    return kid


def _lp(part: str | int | bytes) -> bytes:
    raw = part if isinstance(part, bytes) else str(part).encode()
    return _pack_len(len(raw)) + raw


def encode_context(label: str, *parts: str | int | bytes) -> bytes:
    """The canonical, injective encoding of (format, label, parts...) used as AAD and MAC prefix.

    Integers are encoded as their decimal text; every position of a given label has one fixed
    type, so the text form cannot collide with a string at the same position.
    """
    out = [_FORMAT_BYTES, _lp(label)]
    for p in parts:
        raw = p if isinstance(p, bytes) else str(p).encode()
        out.append(_pack_len(len(raw)))
        out.append(raw)
    return b"".join(out)


def canonical_json(value: Any) -> bytes:
    """The canonical JSON bytes of a JSON value (strings, numbers, lists, objects, ...)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError as exc:
        raise InvalidValue(f"value is not JSON-serialisable: {exc}") from None


def load_json(raw: bytes) -> Any:
    """Parse authenticated plaintext back to a JSON value (failure is opaque)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise DecryptionFailed() from None


def b64e(raw: bytes) -> str:
    """Unpadded base64url."""
    return binascii.b2a_base64(raw, newline=False).translate(_TO_URL).rstrip(b"=").decode("ascii")


def b64d(text: str) -> bytes:
    """Decode canonical unpadded base64url; anything else is the opaque :class:`DecryptionFailed`.

    Canonical means no padding, no characters outside the alphabet and zero spare bits in the last
    character, so a token has exactly one spelling and any edit of it changes the decoded bytes.
    """
    spare = _SPARE_BITS.get(len(text) % 4)
    if spare is None or "=" in text or "+" in text or "/" in text:
        raise DecryptionFailed()
    try:
        raw = text.encode("ascii").translate(_FROM_URL)
        if spare and _B64_ALPHABET.index(text[-1]) & spare:
            raise DecryptionFailed()
        return binascii.a2b_base64(raw + b"=" * (-len(raw) % 4), strict_mode=True)
    except (binascii.Error, ValueError):  # UnicodeEncodeError is a ValueError
        raise DecryptionFailed() from None
