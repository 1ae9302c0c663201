"""Delivery to recipients: protected fields re-encrypted as JWE for a recipient's public key.

Each delivered field is a JWE Compact Serialization (RFC 7516 §7.1) with
``alg = ECDH-ES+A256KW`` (RFC 7518 §4.6: ephemeral-static ECDH, Concat KDF, AES Key Wrap of the
CEK) and ``enc = A256GCM`` (RFC 7518 §5.3), for a tenant's registered X25519 (RFC 8037 §3.2) or
P-256 key. Any JOSE library opens it; :func:`hub.crypto.extension.open_protected_fields` does it
for a whole STIX object.

Choice: one ephemeral key and one CEK per (recipient, object version). A
:class:`RecipientSealer` does the ECDH, the Concat KDF and the key wrap once, then encrypts each
field of that object version with the shared CEK under its own random 96-bit IV and its own
protected header (the header is the GCM associated data, RFC 7516 §5.1 step 14). The cost per
recipient and version is one ECDH; per field, one AES-GCM. Every field stays a complete,
standard compact JWE; the fields of one object for one recipient share the ``epk`` and encrypted
key — which only reveals that they belong together, as their place in the object does anyway.

The protected header carries the private parameter ``fh`` (RFC 7516 §4.3) =
``{"id": object id, "modified": version, "path": JSON pointer}``: the recipient checks it
against the object and the field it found the JWE in, so a JWE moved to another field, object
or version is refused, as the hub's own ciphertexts are.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
from cryptography.hazmat.primitives.keywrap import aes_key_wrap
from joserfc.errors import JoseError
from joserfc.jwe import JWERegistry
from joserfc.jwk import ECKey, OKPKey
from joserfc.registry import HeaderParameter

from hub.crypto._encoding import b64e, canonical_json
from hub.crypto.context import FieldContext
from hub.crypto.errors import InvalidValue
from hub.crypto.pointer import from_property

__all__ = [
    "CONTEXT_HEADER",
    "JWE_ALG",
    "JWE_ENC",
    "JWE_REGISTRY",
    "RecipientKey",
    "RecipientSealer",
    "encrypt_for_recipient",
    "recipient_key",
    "thumbprint",
]

JWE_ALG = "ECDH-ES+A256KW"
JWE_ENC = "A256GCM"
#: The private protected-header parameter binding a JWE to its object, version and field.
CONTEXT_HEADER = "fh"
_CURVES = {("OKP", "X25519"), ("EC", "P-256")}


def _check_context(value: Any) -> None:
    if (
        not isinstance(value, dict)
        or set(value) != {"id", "modified", "path"}
        or not all(isinstance(v, str) for v in value.values())
    ):
        raise ValueError("must be {id, modified, path} strings")


#: The joserfc registry that opens the hub's JWEs: only ECDH-ES+A256KW with A256GCM, and the
#: ``fh`` header known (joserfc refuses header parameters it does not know; RFC 7516 §4 lets
#: other libraries ignore it).
JWE_REGISTRY = JWERegistry(
    header_registry={
        CONTEXT_HEADER: HeaderParameter("Fusion Hub field context", _check_context, True)
    },
    algorithms=[JWE_ALG, JWE_ENC],
)


@dataclass(frozen=True, slots=True)
class RecipientKey:
    """A recipient's registered public encryption key, parsed and checked once."""

    kid: str
    crv: str
    public_key: x25519.X25519PublicKey | ec.EllipticCurvePublicKey


@functools.lru_cache(maxsize=4096)
def _parse(jwk_json: bytes) -> RecipientKey:
    jwk = orjson.loads(jwk_json)
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if (kty, crv) not in _CURVES:
        raise InvalidValue("recipient keys must be X25519 (OKP) or P-256 (EC) JWKs")
    if "d" in jwk:
        raise InvalidValue("register the public key only: this JWK contains a private key")
    if jwk.get("use", "enc") != "enc" or jwk.get("alg", JWE_ALG) != JWE_ALG:
        raise InvalidValue(f"the recipient key must allow use=enc, alg={JWE_ALG}")
    try:
        key = OKPKey.import_key(jwk) if kty == "OKP" else ECKey.import_key(jwk)
        public = key.public_key
    except (JoseError, ValueError, TypeError) as exc:
        raise InvalidValue(f"not a valid public JWK: {exc}") from None
    if not isinstance(public, x25519.X25519PublicKey | ec.EllipticCurvePublicKey):
        raise InvalidValue("recipient keys must be X25519 or P-256")
    return RecipientKey(kid=str(jwk.get("kid") or key.thumbprint()), crv=crv, public_key=public)


def recipient_key(jwk: Mapping[str, Any] | RecipientKey) -> RecipientKey:
    """Parse (and cache) a recipient's public JWK (RFC 7517 §4; RFC 7518 §6.2; RFC 8037 §2)."""
    if isinstance(jwk, RecipientKey):
        return jwk
    try:
        raw = orjson.dumps(dict(jwk), option=orjson.OPT_SORT_KEYS)
    except TypeError:
        raise InvalidValue("a JWK is a JSON object") from None
    return _parse(raw)


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 thumbprint of a public JWK (OKP or EC): SHA-256 over its required members
    in lexicographic order without whitespace (§3.2; RFC 8037 §2 for OKP), base64url (§3.1).

    Raises :class:`~hub.crypto.errors.InvalidValue` for anything else.
    """
    kty = jwk.get("kty")
    if kty not in ("OKP", "EC"):
        raise InvalidValue("only OKP and EC public keys have a thumbprint here")
    try:
        key = OKPKey.import_key(dict(jwk)) if kty == "OKP" else ECKey.import_key(dict(jwk))
        return str(key.thumbprint())
    except (JoseError, ValueError, TypeError) as exc:
        raise InvalidValue(f"not a valid public JWK: {exc}") from None


def _u32_prefixed(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def _concat_kdf(shared: bytes) -> bytes:
    """RFC 7518 §4.6.2: Concat KDF (NIST SP 800-56A §5.8.1) for ECDH-ES+A256KW, no apu/apv."""
    other_info = (
        _u32_prefixed(JWE_ALG.encode())
        + _u32_prefixed(b"")
        + _u32_prefixed(b"")
        + (256).to_bytes(4, "big")
    )
    return ConcatKDFHash(algorithm=hashes.SHA256(), length=32, otherinfo=other_info).derive(shared)


def _ephemeral(recipient: RecipientKey) -> tuple[dict[str, str], bytes]:
    """A fresh ephemeral key pair: its public JWK and the ECDH shared secret Z."""
    pub = recipient.public_key
    if isinstance(pub, x25519.X25519PublicKey):
        x_priv = x25519.X25519PrivateKey.generate()
        try:
            shared = x_priv.exchange(pub)
        except ValueError:  # a low-order point gives an all-zero secret (RFC 7748 §6.1)
            raise InvalidValue("the recipient's X25519 key is not usable") from None
        raw = x_priv.public_key().public_bytes_raw()
        return {"kty": "OKP", "crv": "X25519", "x": b64e(raw)}, shared
    ec_priv = ec.generate_private_key(ec.SECP256R1())
    shared = ec_priv.exchange(ec.ECDH(), pub)
    nums = ec_priv.public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64e(nums.x.to_bytes(32, "big")),
        "y": b64e(nums.y.to_bytes(32, "big")),
    }, shared


class RecipientSealer:
    """Seals the fields of one object version for one recipient (one ECDH, one CEK)."""

    __slots__ = ("_aead", "_base", "_ek", "modified", "object_id", "recipient")

    def __init__(self, recipient: RecipientKey, object_id: str, modified: str) -> None:
        self.recipient = recipient
        self.object_id = object_id
        self.modified = modified
        epk, shared = _ephemeral(recipient)
        cek = os.urandom(32)
        self._ek = b64e(aes_key_wrap(_concat_kdf(shared), cek))
        self._aead = AESGCM(cek)
        self._base = {"alg": JWE_ALG, "enc": JWE_ENC, "kid": recipient.kid, "epk": epk}

    def seal(self, path: str, value: Any) -> str:
        """The compact JWE of the JSON value `value` of field `path` (a JSON pointer)."""
        ctx = {"id": self.object_id, "modified": self.modified, "path": from_property(path)}
        protected = b64e(orjson.dumps({**self._base, "cty": "json", CONTEXT_HEADER: ctx}))
        iv = os.urandom(12)
        sealed = self._aead.encrypt(iv, canonical_json(value), protected.encode("ascii"))
        return f"{protected}.{self._ek}.{b64e(iv)}.{b64e(sealed[:-16])}.{b64e(sealed[-16:])}"


def encrypt_for_recipient(
    value: Any, recipient_jwk: Mapping[str, Any] | RecipientKey, aad_ctx: FieldContext
) -> str:
    """One field as a compact JWE for one recipient (a sealer of its own: one ECDH per call).

    To deliver several fields of one object version, use one :class:`RecipientSealer`.
    """
    sealer = RecipientSealer(recipient_key(recipient_jwk), aad_ctx.object_id, aad_ctx.modified)
    return sealer.seal(aad_ctx.path, value)
