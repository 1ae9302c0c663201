"""RFC 7638 thumbprints of the public keys tenants register."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from hub.crypto.delivery import thumbprint
from hub.crypto.errors import InvalidValue


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _expected(members: dict[str, str]) -> str:
    """RFC 7638 §3: the required members, sorted, no whitespace, SHA-256, base64url."""
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":")).encode()
    return _b64(hashlib.sha256(canonical).digest())


def test_rfc_8037_appendix_a3_example() -> None:
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_x25519_and_p256_keys_ignore_optional_members() -> None:
    raw = (
        x25519.X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    )
    okp = {"kty": "OKP", "crv": "X25519", "x": _b64(raw)}
    assert thumbprint({**okp, "kid": "k-2026", "use": "enc"}) == _expected(okp)
    numbers = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    point = {"x": _b64(numbers.x.to_bytes(32, "big")), "y": _b64(numbers.y.to_bytes(32, "big"))}
    p256 = {"kty": "EC", "crv": "P-256", **point}
    assert thumbprint({**p256, "alg": "ECDH-ES+A256KW"}) == _expected(p256)
    assert thumbprint(p256) != thumbprint(okp)


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        {"kty": "OKP", "crv": "X25519"},
        {"kty": "EC", "crv": "P-256", "x": "not-a-point", "y": "nope"},
        {},
    ],
)
def test_anything_else_is_refused(jwk: dict[str, str]) -> None:
    with pytest.raises(InvalidValue):
        thumbprint(jwk)
