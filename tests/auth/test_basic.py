"""HTTP Basic on the TAXII API (RFC 7617): cached verification, dummy hashing, throttling."""

from __future__ import annotations

import base64

import httpx
from taxii2client.v21 import ApiRoot, Collection, Server

from hub.auth.clients import register_key_client, revoke_client, rotate_secret
from hub.auth.events import AuthEvent
from hub.auth.service import CLIENT_FAILURES
from hub.taxii.router import API_ROOT
from tests.auth.helpers import (
    HEADERS,
    NG_WORKSPACE,
    assert_taxii_401,
    assertion,
    assertion_form,
    collection_objects,
    ec_key,
    fresh_address,
    http,
    public_jwks,
)
from tests.conftest import World


def _get(world: World, cid: str, secret: str, source: str | None = None) -> httpx.Response:
    headers = {**HEADERS, **({"X-Forwarded-For": source} if source else {})}
    return http().get(world.url + "/taxii2/", headers=headers, auth=(cid, secret))


def test_taxii2_client_with_user_and_password(world: World) -> None:
    cid, secret = world.creds("ng-nctc", ("taxii:read", "taxii:write"))
    server = Server(world.url + "/taxii2/", user=cid, password=secret)
    assert server.title
    root = ApiRoot(world.url + API_ROOT, user=cid, password=secret)
    assert "ng-nctc-workspace" in {c.alias for c in root.collections}
    col = Collection(f"{world.url}{API_ROOT}collections/{NG_WORKSPACE}/", user=cid, password=secret)
    assert col.get_objects().get("more") is False


def test_the_slow_hash_is_paid_once_then_cached(world: World, hash_calls: list[int]) -> None:
    cid, secret = world.creds("ng-nctc", ("taxii:read",))
    hash_calls.clear()  # creating the client hashed its secret
    for _ in range(20):
        assert _get(world, cid, secret).status_code == 200
    assert len(hash_calls) == 1


def test_unknown_client_costs_one_hash_like_a_wrong_secret(
    world: World, hash_calls: list[int], recorded: list[AuthEvent]
) -> None:
    cid, _ = world.creds("ng-nctc", ("taxii:read",))
    key_client = register_key_client(world.db, "ng-nctc", ["taxii:read"], public_jwks(ec_key()))
    revoked, revoked_secret = world.creds("ng-nctc", ("taxii:write",))
    revoke_client(world.db, revoked)
    hash_calls.clear()
    attempts = [
        (cid, "wrong-secret", "bad-secret"),
        ("ng-nctc-0123456789abcdef", "whatever", "unknown-client"),
        ("x" * 200, "whatever", "unknown-client"),
        (key_client, "whatever", "no-secret"),
        (revoked, revoked_secret, "revoked"),
    ]
    for client_id, password, reason in attempts:
        before = len(hash_calls)
        r = _get(world, client_id, password, fresh_address())
        assert_taxii_401(r)
        assert r.json()["description"] == "Invalid client credentials"
        assert len(hash_calls) - before == 1, reason
        assert recorded[-1].reason == reason and recorded[-1].outcome == "failure"


def test_malformed_basic_is_401(world: World) -> None:
    for value in ("Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode(), "Digest x"):
        r = http().get(world.url + "/taxii2/", headers={**HEADERS, "Authorization": value})
        assert_taxii_401(r)


def test_revocation_and_secret_rotation_apply_to_cached_logins(world: World) -> None:
    cid, secret = world.creds("ng-nctc", ("taxii:read",))
    assert _get(world, cid, secret).status_code == 200
    new_secret = rotate_secret(world.db, cid)
    assert_taxii_401(_get(world, cid, secret, fresh_address()))
    assert _get(world, cid, new_secret).status_code == 200
    revoke_client(world.db, cid)
    assert_taxii_401(_get(world, cid, new_secret, fresh_address()))


def test_repeated_failures_for_one_client_are_throttled(
    world: World, recorded: list[AuthEvent]
) -> None:
    victim, victim_secret = world.creds("ng-nctc", ("taxii:read",))
    other, other_secret = world.creds("gh-ctfc", ("taxii:read",))
    attacker = fresh_address()
    for _ in range(CLIENT_FAILURES):
        assert _get(world, victim, "guess", attacker).status_code == 401
    for source in (attacker, fresh_address()):
        r = _get(world, victim, "guess", source)
        assert r.status_code == 429, r.text
        assert int(r.headers["retry-after"]) >= 1
        assert r.json()["http_status"] == "429"
    assert recorded[-1].outcome == "throttled"
    # Someone else, even from the attacker's address, is not slowed down.
    assert _get(world, other, other_secret, attacker).status_code == 200
    # Nor is the throttled client itself once its secret is proven (a cached verification)...
    # ...but an uncached correct secret waits like everyone else trying that client id.
    assert _get(world, victim, victim_secret, fresh_address()).status_code == 429


def test_a_proven_secret_is_not_locked_out_by_an_attacker(world: World) -> None:
    victim, victim_secret = world.creds("ng-nctc", ("taxii:read",))
    assert _get(world, victim, victim_secret).status_code == 200  # verified and cached
    attacker = fresh_address()
    for _ in range(CLIENT_FAILURES + 1):
        _get(world, victim, "guess", attacker)
    assert _get(world, victim, "guess", attacker).status_code == 429
    assert _get(world, victim, victim_secret).status_code == 200


def test_repeated_failures_from_one_address_are_throttled(world: World) -> None:
    """Failures for many different client ids from one address add up (client assertions for
    unknown clients are refused without a slow hash, which keeps this test quick)."""
    from hub.auth.service import ADDRESS_FAILURES

    attacker = fresh_address()
    key = ec_key()
    for i in range(ADDRESS_FAILURES):
        r = http().post(
            f"{world.url}/oauth/token",
            data=assertion_form(assertion(key, f"ng-nctc-{i:016x}", "aud")),
            headers={"X-Forwarded-For": attacker},
        )
        assert r.status_code == 400, r.text
    r = _get(world, "ng-nctc-another", "guess", attacker)
    assert r.status_code == 429 and "retry-after" in r.headers
    cid, secret = world.creds("ng-nctc", ("taxii:read",))
    assert _get(world, cid, secret, fresh_address()).status_code == 200


def test_throttling_also_guards_the_token_endpoint(world: World) -> None:
    cid, _ = world.creds("ng-nctc", ("taxii:read",))
    src = {"X-Forwarded-For": fresh_address()}
    data = {"grant_type": "client_credentials"}
    for _ in range(CLIENT_FAILURES):
        r = http().post(f"{world.url}/oauth/token", data=data, auth=(cid, "x"), headers=src)
        assert r.status_code == 401
    r = http().post(f"{world.url}/oauth/token", data=data, auth=(cid, "x"), headers=src)
    assert r.status_code == 429
    assert r.json()["error"] == "temporarily_unavailable"
    assert int(r.headers["retry-after"]) >= 1


def test_events_of_a_successful_request(world: World, recorded: list[AuthEvent]) -> None:
    cid, secret = world.creds("ng-nctc", ("taxii:read",))
    source = fresh_address()
    assert _get(world, cid, secret, source).status_code == 200
    url = world.url + collection_objects(NG_WORKSPACE)
    r = http().get(url, headers=HEADERS, auth=(cid, secret))
    assert r.status_code == 200
    ok = [e for e in recorded if e.client_id == cid]
    assert [e.outcome for e in ok] == ["success", "success"]
    assert ok[0].tenant == "ng-nctc" and ok[0].source == source and ok[0].method == "basic"
    assert ok[0].time.tzinfo is not None
