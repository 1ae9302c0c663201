"""Bearer tokens on the TAXII API (RFC 6750, RFC 9068 §4): what is accepted and what is refused."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from taxii2client.v21 import ApiRoot, Collection, Server

from hub.auth.clients import revoke_client
from hub.auth.events import AuthEvent
from hub.auth.signing import SigningKeys
from hub.settings import Settings
from hub.store.models import Tenant
from hub.taxii.router import API_ROOT
from tests.auth.helpers import (
    NG_WORKSPACE,
    BearerAuth,
    assert_taxii_401,
    bearer,
    claims_for,
    collection_objects,
    ec_key,
    http,
    sign_with_hub_key,
    token_for,
    unsigned,
)
from tests.conftest import World


def _get(world: World, token: str, path: str = "/taxii2/") -> httpx.Response:
    return http().get(world.url + path, headers=bearer(token))


def test_a_crafted_valid_token_is_accepted(world: World, settings: Settings) -> None:
    """The helpers below build tokens the hub accepts, so each refusal is down to one change."""
    cid, _ = world.creds("ng-nctc", ("taxii:read", "taxii:write"))
    token = sign_with_hub_key(settings, claims_for(settings, cid, "ng-nctc"))
    assert _get(world, token).status_code == 200


def _hs256_with_public_key(settings: Settings, claims: dict[str, Any]) -> str:
    key = SigningKeys.for_data_dir(settings.data_dir).current()
    header = {"alg": "HS256", "typ": "at+jwt", "kid": key.kid}
    bare = unsigned(header, claims)
    signing_input = bare.rsplit(".", 1)[0].encode()
    secret = key.key.as_pem(private=False)
    return unsigned(header, claims, hmac.new(secret, signing_input, hashlib.sha256).digest())


def _unknown_kid(settings: Settings, claims: dict[str, Any]) -> str:
    from joserfc import jwt

    stranger = ec_key()
    header = {"alg": "ES256", "typ": "at+jwt", "kid": stranger.kid}
    return str(jwt.encode(header, claims, stranger, algorithms=["ES256"]))


def _known_kid_other_key(settings: Settings, claims: dict[str, Any]) -> str:
    from joserfc import jwt

    kid = SigningKeys.for_data_dir(settings.data_dir).current().kid
    header = {"alg": "ES256", "typ": "at+jwt", "kid": kid}
    return str(jwt.encode(header, claims, ec_key(), algorithms=["ES256"]))


Forge = Callable[[Settings, str], str]

REFUSALS: dict[str, Forge] = {
    "alg-none": lambda s, cid: unsigned(
        {"alg": "none", "typ": "at+jwt"}, claims_for(s, cid, "ng-nctc")
    ),
    "hs256-public-key": lambda s, cid: _hs256_with_public_key(s, claims_for(s, cid, "ng-nctc")),
    "unknown-kid": lambda s, cid: _unknown_kid(s, claims_for(s, cid, "ng-nctc")),
    "forged-signature": lambda s, cid: _known_kid_other_key(s, claims_for(s, cid, "ng-nctc")),
    "wrong-issuer": lambda s, cid: sign_with_hub_key(
        s, claims_for(s, cid, "ng-nctc", iss="https://other-hub.example")
    ),
    "wrong-audience": lambda s, cid: sign_with_hub_key(
        s, claims_for(s, cid, "ng-nctc", aud="https://other-hub.example")
    ),
    "no-audience": lambda s, cid: sign_with_hub_key(s, claims_for(s, cid, "ng-nctc", aud=None)),
    "expired": lambda s, cid: sign_with_hub_key(
        s, claims_for(s, cid, "ng-nctc", exp=int(time.time()) - 31)
    ),
    "not-yet-valid": lambda s, cid: sign_with_hub_key(
        s, claims_for(s, cid, "ng-nctc", nbf=int(time.time()) + 120)
    ),
    "issued-in-future": lambda s, cid: sign_with_hub_key(
        s, claims_for(s, cid, "ng-nctc", iat=int(time.time()) + 120)
    ),
    "typ-jwt": lambda s, cid: sign_with_hub_key(s, claims_for(s, cid, "ng-nctc"), typ="JWT"),
    "no-typ": lambda s, cid: sign_with_hub_key(s, claims_for(s, cid, "ng-nctc"), typ=None),
    "other-tenant-claim": lambda s, cid: sign_with_hub_key(s, claims_for(s, cid, "gh-ctfc")),
    "sub-not-client": lambda s, cid: sign_with_hub_key(
        s, claims_for(s, cid, "ng-nctc", sub="someone-else")
    ),
    "unknown-client": lambda s, cid: sign_with_hub_key(
        s, claims_for(s, "ng-nctc-ffffffff", "ng-nctc")
    ),
    "garbage": lambda s, cid: "not.a.jwt",
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refused_tokens(
    world: World, settings: Settings, recorded: list[AuthEvent], case: str
) -> None:
    cid, _ = world.creds("ng-nctc", ("taxii:read", "taxii:write"))
    token = REFUSALS[case](settings, cid)
    for path in ("/taxii2/", collection_objects(NG_WORKSPACE)):
        r = _get(world, token, path)
        assert_taxii_401(r)
        assert 'error="invalid_token"' in r.headers["www-authenticate"]
    failures = [e for e in recorded if e.method == "bearer"]
    assert failures and all(e.outcome == "failure" for e in failures)


def test_expiry_leeway_is_at_most_30_seconds(world: World, settings: Settings) -> None:
    cid, _ = world.creds("ng-nctc", ("taxii:read",))
    now = int(time.time())
    within = sign_with_hub_key(settings, claims_for(settings, cid, "ng-nctc", exp=now - 20))
    assert _get(world, within).status_code == 200
    r = _get(world, sign_with_hub_key(settings, claims_for(settings, cid, "ng-nctc", exp=now - 35)))
    assert r.json()["description"] == "The access token has expired"


def test_revoked_client_token_is_refused_at_once(world: World) -> None:
    cid, secret = world.creds("ng-nctc", ("taxii:read",))
    token = token_for(world.url, cid, secret)["access_token"]
    assert _get(world, token).status_code == 200
    revoke_client(world.db, cid)
    assert_taxii_401(_get(world, token))


def test_inactive_tenant_token_is_refused(world: World) -> None:
    cid, secret = world.creds("ng-nctc", ("taxii:read",))
    token = token_for(world.url, cid, secret)["access_token"]
    with world.db.write_session() as s:
        tenant = s.query(Tenant).filter_by(slug="ng-nctc").one()
        tenant.active = False
    from hub.auth.clients import _changed

    _changed(cid)  # what the directory would see within REFRESH_SECONDS anyway
    assert_taxii_401(_get(world, token))


def test_wrong_scope_is_403(world: World) -> None:
    cid, secret = world.creds("ng-nctc", ("policy:read",))
    token = token_for(world.url, cid, secret)["access_token"]
    r = _get(world, token)
    assert r.status_code == 403
    assert r.json()["http_status"] == "403"
    assert 'scope="taxii:read"' in r.headers["www-authenticate"]


def test_token_scope_is_capped_by_the_client(world: World, settings: Settings) -> None:
    """A token claiming more than its client holds gets only the client's scopes."""
    cid, _ = world.creds("ng-nctc", ("policy:read",))
    token = sign_with_hub_key(settings, claims_for(settings, cid, "ng-nctc", scope="taxii:read"))
    assert _get(world, token).status_code == 403


def test_taxii2_client_with_bearer_token(world: World) -> None:
    cid, secret = world.creds("ng-nctc", ("taxii:read", "taxii:write"))
    auth = BearerAuth(token_for(world.url, cid, secret)["access_token"])
    server = Server(world.url + "/taxii2/", auth=auth)
    assert server.title
    root = ApiRoot(world.url + API_ROOT, auth=auth)
    aliases = {c.alias for c in root.collections}
    assert "ng-nctc-workspace" in aliases and "gh-ctfc-workspace" not in aliases
    col = Collection(f"{world.url}{API_ROOT}collections/{NG_WORKSPACE}/", auth=auth)
    assert col.can_read and col.can_write
    assert col.get_objects().get("more") is False
