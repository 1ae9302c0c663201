"""Helpers for the auth tests: token requests, crafted tokens, client keys, fresh addresses."""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import time
from typing import Any

import httpx
import requests
import requests.auth
from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey

from hub.auth.signing import SigningKeys
from hub.settings import Settings
from hub.taxii.media import TAXII_MEDIA_TYPE
from hub.taxii.router import API_ROOT

HEADERS = {"Accept": TAXII_MEDIA_TYPE}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SHARED_EXCHANGE = "371ecd7b-27cd-4130-8722-9389571aa876"
NG_WORKSPACE = "4b0dbb41-8d52-48f1-942c-3fe860e7a113"
_addresses = itertools.count(1)
_http: httpx.Client | None = None


def http() -> httpx.Client:
    """One HTTP client for the whole run (making one per request costs a TLS context)."""
    global _http
    if _http is None:
        _http = httpx.Client(timeout=30)
    return _http


def close_http() -> None:
    """Close the shared client."""
    global _http
    if _http is not None:
        _http.close()
        _http = None


def fresh_address() -> str:
    """A source address no other test used (sent as X-Forwarded-For from loopback)."""
    n = next(_addresses)
    return f"198.51.{100 + n // 250}.{n % 250 + 1}"


class BearerAuth(requests.auth.AuthBase):
    """RFC 6750 §2.1 bearer credentials for requests (and so for taxii2-client)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


def token_for(url: str, cid: str, secret: str, **form: str) -> dict[str, Any]:
    """A token response for `cid` via client_secret_basic; asserts success."""
    r = http().post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials", **form},
        auth=(cid, secret),
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def bearer(token: str, **extra: str) -> dict[str, str]:
    """TAXII request headers with a bearer token."""
    return {**HEADERS, "Authorization": f"Bearer {token}", **extra}


def collection_objects(collection_id: str = SHARED_EXCHANGE) -> str:
    """The objects URL path of a collection."""
    return f"{API_ROOT}collections/{collection_id}/objects/"


def b64(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_for(settings: Settings, cid: str, tenant: str, **overrides: Any) -> dict[str, Any]:
    """Valid RFC 9068 claims for `cid`, with `overrides` applied (None removes a claim)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.base_url,
        "sub": cid,
        "aud": settings.base_url,
        "exp": now + 300,
        "iat": now,
        "nbf": now,
        "jti": secrets.token_urlsafe(8),
        "client_id": cid,
        "scope": "taxii:read taxii:write",
        "tenant": tenant,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def sign_with_hub_key(settings: Settings, claims: dict[str, Any], **header: Any) -> str:
    """A token signed with the hub's real current key (header overrides applied)."""
    key = SigningKeys.for_data_dir(settings.data_dir).current()
    hdr = {"alg": "ES256", "typ": "at+jwt", "kid": key.kid, **header}
    hdr = {k: v for k, v in hdr.items() if v is not None}
    return jwt.encode(hdr, claims, key.key, algorithms=[hdr["alg"]], default_type=None)


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    """A compact JWS assembled by hand (for alg none and forged HMAC tokens)."""
    h = b64(json.dumps(header).encode())
    p = b64(json.dumps(claims).encode())
    return f"{h}.{p}.{b64(signature)}"


def ec_key() -> ECKey:
    """A fresh P-256 key pair with a kid."""
    key = ECKey.generate_key("P-256", private=True)
    key.ensure_kid()
    return key


def ed25519_key() -> OKPKey:
    """A fresh Ed25519 key pair with a kid."""
    key = OKPKey.generate_key("Ed25519", private=True)
    key.ensure_kid()
    return key


def public_jwks(*keys: ECKey | OKPKey) -> dict[str, Any]:
    """The public JWK set of `keys`."""
    return {"keys": [k.as_dict(private=False) for k in keys]}


def assertion(
    key: ECKey | OKPKey, cid: str, audience: str, alg: str = "ES256", **overrides: Any
) -> str:
    """An RFC 7523 client assertion signed by `key`."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": cid,
        "sub": cid,
        "aud": audience,
        "exp": now + 60,
        "iat": now,
        "jti": secrets.token_urlsafe(12),
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": alg, "kid": key.kid}, claims, key, algorithms=[alg])


def assertion_form(client_assertion: str, **extra: str) -> dict[str, str]:
    """The form of a private_key_jwt token request."""
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client_assertion,
        **extra,
    }


def assert_taxii_401(r: httpx.Response) -> None:
    """401, a TAXII error envelope and a challenge."""
    assert r.status_code == 401, r.text
    assert r.headers["content-type"] == TAXII_MEDIA_TYPE
    body = r.json()
    assert body["http_status"] == "401"
    assert {"title", "description", "error_id"} <= set(body)
    assert "Bearer" in r.headers["www-authenticate"]
