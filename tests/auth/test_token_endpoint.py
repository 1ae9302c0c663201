"""The token endpoint: RFC 6749 §4.4 with each client authentication method, and §5.2 errors."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from joserfc.jwk import ECKey

from hub.auth.clients import register_key_client, revoke_client
from hub.auth.events import AuthEvent
from hub.settings import Settings
from tests.auth.helpers import (
    FORM,
    NG_WORKSPACE,
    assertion,
    assertion_form,
    b64,
    bearer,
    collection_objects,
    ec_key,
    ed25519_key,
    fresh_address,
    http,
    public_jwks,
    token_for,
    unsigned,
)
from tests.conftest import World


def _use(world: World, token: str) -> None:
    """The token works on discovery and on a collection of its tenant."""
    assert http().get(world.url + "/taxii2/", headers=bearer(token)).status_code == 200
    r = http().get(world.url + collection_objects(NG_WORKSPACE), headers=bearer(token))
    assert r.status_code == 200, r.text


def _claims(token: str) -> dict[str, object]:
    from joserfc import jws

    obj = jws.extract_compact(token.encode())
    return {"header": obj.headers(), **json.loads(obj.payload)}


def test_client_secret_basic(world: World, settings: Settings, recorded: list[AuthEvent]) -> None:
    cid, secret = world.creds("ng-nctc", ("taxii:read", "taxii:write"))
    body = token_for(world.url, cid, secret)
    issued = recorded[-1]
    assert (issued.outcome, issued.method, issued.client_id) == (
        "success",
        "client_secret_basic",
        cid,
    )
    assert issued.token_id == _claims(body["access_token"])["jti"]
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.access_token_ttl
    assert body["scope"] == "taxii:read taxii:write"
    claims = _claims(body["access_token"])
    assert claims["header"] == {"alg": "ES256", "typ": "at+jwt", "kid": claims["header"]["kid"]}  # type: ignore[index]
    assert claims["iss"] == claims["aud"] == settings.base_url
    assert claims["sub"] == claims["client_id"] == cid
    assert claims["tenant"] == "ng-nctc"
    assert claims["exp"] == claims["iat"] + settings.access_token_ttl  # type: ignore[operator]
    assert {"nbf", "jti"} <= set(claims)
    _use(world, body["access_token"])


def test_client_secret_post_and_narrower_scope(world: World) -> None:
    cid, secret = world.creds("ng-nctc", ("taxii:read", "taxii:write"))
    r = http().post(
        f"{world.url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": cid,
            "client_secret": secret,
            "scope": "taxii:read",
        },
    )
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    token = r.json()["access_token"]
    assert r.json()["scope"] == "taxii:read"
    _use(world, token)
    url = collection_objects(NG_WORKSPACE)
    post = http().post(
        world.url + url,
        json={"objects": []},
        headers=bearer(token, **{"Content-Type": "application/taxii+json;version=2.1"}),
    )
    assert post.status_code == 403
    assert 'error="insufficient_scope"' in post.headers["www-authenticate"]


@pytest.mark.parametrize("kind", ["ec", "ed25519"])
def test_private_key_jwt(world: World, settings: Settings, kind: str) -> None:
    key = ec_key() if kind == "ec" else ed25519_key()
    alg = "ES256" if kind == "ec" else "Ed25519"
    cid = register_key_client(world.db, "ng-nctc", ["taxii:read"], public_jwks(key))
    meta = http().get(f"{world.url}/.well-known/oauth-authorization-server").json()
    for audience in (meta["token_endpoint"], meta["issuer"]):
        r = http().post(
            f"{world.url}/oauth/token",
            data=assertion_form(assertion(key, cid, audience, alg)),
        )
        assert r.status_code == 200, r.text
        _use(world, r.json()["access_token"])
    assert meta["token_endpoint"] == f"{settings.base_url}/oauth/token"


def test_private_key_jwt_refusals(world: World, settings: Settings) -> None:
    aud = f"{settings.base_url}/oauth/token"
    cases: list[tuple[str, object]] = [
        ("The client assertion was used before", None),  # RFC 7523 §3 item 7
        (GENERIC, lambda key, cid: assertion(ec_key(), cid, aud)),  # not the client's key
        (GENERIC, lambda key, cid: assertion(key, "ng-nctc-unknown", aud)),  # unknown client
        (CLAIMS, lambda key, cid: assertion(key, cid, "https://elsewhere.example/oauth/token")),
        (CLAIMS, lambda key, cid: assertion(key, cid, aud, exp=1_000_000)),  # expired
        (CLAIMS, lambda key, cid: assertion(key, cid, aud, iss="someone-else")),  # iss != sub
        (CLAIMS, lambda key, cid: assertion(key, cid, aud, jti=None)),  # no jti
        (LIFETIME, lambda key, cid: assertion(key, cid, aud, exp=2_000_000_000)),
        (GENERIC, _hmac_over_public_key),  # HS256 keyed with the client's public key
        (GENERIC, lambda key, cid: assertion(key, cid, aud) + "x"),  # tampered signature
    ]
    for description, make in cases:
        key = ec_key()
        cid = register_key_client(world.db, "ng-nctc", ["taxii:read"], public_jwks(key))
        src = {"X-Forwarded-For": fresh_address()}
        if make is None:
            first = assertion(key, cid, aud)
            ok = http().post(f"{world.url}/oauth/token", data=assertion_form(first), headers=src)
            assert ok.status_code == 200
            bad = first
        else:
            bad = make(key, cid)  # type: ignore[operator]
        r = http().post(f"{world.url}/oauth/token", data=assertion_form(bad), headers=src)
        assert r.status_code == 400, (description, r.text)
        assert r.json() == {"error": "invalid_client", "error_description": description}


GENERIC = "The client assertion is not valid"
CLAIMS = (
    "The client assertion needs iss = sub = client_id, an aud naming this server, "
    "a jti and an exp in the future"
)
LIFETIME = "The client assertion must expire within 600 seconds"


def _hmac_over_public_key(key: ECKey, cid: str) -> str:
    header = {"alg": "HS256", "kid": key.kid}
    claims = {"iss": cid, "sub": cid, "aud": "x", "exp": 2_000_000_000, "jti": "x"}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    mac = hmac.new(key.as_pem(private=False), signing_input.encode(), hashlib.sha256).digest()
    return unsigned(header, claims, mac)


def test_secret_client_may_not_use_assertion_and_key_client_has_no_secret(world: World) -> None:
    key = ec_key()
    cid = register_key_client(world.db, "ng-nctc", ["taxii:read"], public_jwks(key))
    r = http().post(
        f"{world.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(cid, "anything"),
        headers={"X-Forwarded-For": fresh_address()},
    )
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"


def test_errors_follow_rfc6749_5_2(world: World) -> None:
    cid, secret = world.creds("ng-nctc", ("taxii:read",))
    url = f"{world.url}/oauth/token"
    src = {"X-Forwarded-For": fresh_address()}
    cases = [
        # (request kwargs, status, error)
        (
            {"data": {"grant_type": "password"}, "auth": (cid, secret)},
            400,
            "unsupported_grant_type",
        ),
        (
            {"data": {"grant_type": "client_credentials"}, "auth": (cid, "wrong")},
            401,
            "invalid_client",
        ),
        (
            {"data": {"grant_type": "client_credentials"}, "auth": ("nobody-1234", "x")},
            401,
            "invalid_client",
        ),
        (
            {"data": {"grant_type": "client_credentials", "client_id": cid, "client_secret": "x"}},
            400,
            "invalid_client",
        ),
        ({"data": {"grant_type": "client_credentials"}}, 400, "invalid_client"),
        (
            {
                "data": {"grant_type": "client_credentials", "client_id": "gh-ctfc-1"},
                "auth": (cid, secret),
            },
            400,
            "invalid_client",
        ),
        (
            {"data": {"grant_type": "client_credentials", "scope": "admin"}, "auth": (cid, secret)},
            400,
            "invalid_scope",
        ),
        (
            {
                "data": {"grant_type": "client_credentials", "scope": "taxii:write"},
                "auth": (cid, secret),
            },
            400,
            "invalid_scope",
        ),
        (
            {
                "data": {
                    "grant_type": "client_credentials",
                    "client_id": cid,
                    "client_secret": secret,
                },
                "auth": (cid, secret),
            },
            400,
            "invalid_request",
        ),
        (
            {"json": {"grant_type": "client_credentials"}, "auth": (cid, secret)},
            400,
            "invalid_request",
        ),
        (
            {
                "content": "grant_type=client_credentials&grant_type=x",
                "headers": FORM,
                "auth": (cid, secret),
            },
            400,
            "invalid_request",
        ),
    ]
    for kwargs, status, error in cases:
        headers = {**src, **kwargs.pop("headers", {})}  # type: ignore[dict-item]
        r = http().post(url, headers=headers, **kwargs)  # type: ignore[arg-type]
        assert r.status_code == status, (kwargs, r.text)
        assert r.headers["content-type"] == "application/json"
        assert r.json()["error"] == error, kwargs
        assert "error_description" in r.json()
        if status == 401:
            assert r.headers["www-authenticate"].startswith("Basic ")


def test_unknown_client_and_wrong_secret_are_indistinguishable(world: World) -> None:
    cid, _ = world.creds("ng-nctc", ("taxii:read",))
    src = {"X-Forwarded-For": fresh_address()}
    data = {"grant_type": "client_credentials"}
    a = http().post(f"{world.url}/oauth/token", data=data, auth=(cid, "wrong"), headers=src)
    b = http().post(f"{world.url}/oauth/token", data=data, auth=("ng-nctc-0000", "x"), headers=src)
    assert (a.status_code, a.json()) == (b.status_code, b.json())


def test_revoked_client_gets_no_token(world: World) -> None:
    cid, secret = world.creds("ng-nctc", ("taxii:read",))
    token_for(world.url, cid, secret)
    revoke_client(world.db, cid)
    r = http().post(
        f"{world.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(cid, secret),
        headers={"X-Forwarded-For": fresh_address()},
    )
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"


def test_metadata_and_jwks(world: World, settings: Settings) -> None:
    meta = http().get(f"{world.url}/.well-known/oauth-authorization-server").json()
    assert meta["issuer"] == settings.base_url
    assert meta["jwks_uri"] == f"{settings.base_url}/.well-known/jwks.json"
    assert meta["grant_types_supported"] == ["client_credentials"]
    assert set(meta["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    }
    assert "admin" in meta["scopes_supported"]
    assert "HS256" not in meta["token_endpoint_auth_signing_alg_values_supported"]
    from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

    doc = AuthorizationServerMetadata(meta)
    for check in ("issuer", "token_endpoint", "jwks_uri", "scopes_supported",
                  "token_endpoint_auth_methods_supported",
                  "token_endpoint_auth_signing_alg_values_supported"):  # fmt: skip
        getattr(doc, f"validate_{check}")()
    keys = http().get(f"{world.url}/.well-known/jwks.json").json()["keys"]
    assert keys and all(k["kty"] == "EC" and k["alg"] == "ES256" for k in keys)
    assert all("d" not in k for k in keys)
