"""The isolation matrix: every non-public route, driven through a real server, by every kind of
caller who must not get in — and none of their answers reveals what they may not see.

Add a row to ROUTES whenever a route is added: `test_every_route_is_in_the_matrix` fails until
it is.
"""

from __future__ import annotations

import base64
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from hub.app import create_app
from hub.auth.clients import revoke_client
from hub.auth.signing import ALGORITHM, SigningKeys
from hub.auth.tokens import TokenIssuer
from hub.settings import Settings
from hub.sharing.policy import Policy
from hub.sharing.service import submit_policy
from hub.taxii.media import TAXII_MEDIA_TYPE
from hub.taxii.router import API_ROOT
from tests.conftest import World
from tests.factories import indicator
from tests.taxii.helpers import collection_id, post

PUBLIC = {
    "/healthz",
    "/readyz",
    "/oauth/token",
    "/.well-known/oauth-authorization-server",
    "/.well-known/jwks.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/openapi.json",
}
VICTIM, INTRUDER = "ng-nctc", "ke-nctc"


@dataclass
class Secrets:
    """What the victim holds that nobody else may learn about."""

    workspace: str
    shared: str
    private_object: str
    red_object: str
    status: str
    next_token: str
    job: str = "00000000-0000-4000-8000-000000000000"

    def leaked_in(self, text: str) -> list[str]:
        return [
            v
            for v in (self.workspace, self.private_object, self.red_object, self.status, self.job)
            if v in text
        ]


@dataclass(frozen=True)
class Route:
    """How to call one route: its path from the victim's secrets, the scope it needs, a body,
    and what another tenant with the right scope gets (404 for the victim's resources)."""

    method: str
    template: str
    path: Callable[[Secrets], str]
    scope: str
    other_tenant: int
    body: bool = False
    pages: bool = False


R = API_ROOT
A = "/api/v1/audit"
P = "/api/v1/policies"
ROUTES = [
    Route("GET", "/taxii2/", lambda s: "/taxii2/", "taxii:read", 200),
    Route("GET", R, lambda s: R, "taxii:read", 200),
    Route("GET", R + "status/{status_id}/", lambda s: f"{R}status/{s.status}/", "taxii:read", 404),
    Route("GET", R + "collections/", lambda s: f"{R}collections/", "taxii:read", 200),
    Route(
        "GET",
        R + "collections/{collection_id}/",
        lambda s: f"{R}collections/{s.workspace}/",
        "taxii:read",
        404,
    ),
    Route(
        "GET",
        R + "collections/{collection_id}/objects/",
        lambda s: f"{R}collections/{s.workspace}/objects/",
        "taxii:read",
        404,
        pages=True,
    ),
    Route(
        "POST",
        R + "collections/{collection_id}/objects/",
        lambda s: f"{R}collections/{s.workspace}/objects/",
        "taxii:write",
        404,
        body=True,
    ),
    Route(
        "GET",
        R + "collections/{collection_id}/objects/{object_id}/",
        lambda s: f"{R}collections/{s.shared}/objects/{s.red_object}/",
        "taxii:read",
        404,
    ),
    Route(
        "DELETE",
        R + "collections/{collection_id}/objects/{object_id}/",
        lambda s: f"{R}collections/{s.shared}/objects/{s.red_object}/",
        "taxii:write",
        404,
    ),
    Route(
        "GET",
        R + "collections/{collection_id}/objects/{object_id}/versions/",
        lambda s: f"{R}collections/{s.shared}/objects/{s.red_object}/versions/",
        "taxii:read",
        404,
    ),
    Route(
        "GET",
        R + "collections/{collection_id}/manifest/",
        lambda s: f"{R}collections/{s.workspace}/manifest/",
        "taxii:read",
        404,
        pages=True,
    ),
    # The audit trail: another tenant sees its own entries (200) or nothing of the victim's (404).
    Route(
        "GET",
        A + "/objects/{object_id}/recipients",
        lambda s: f"{A}/objects/{s.private_object}/recipients",
        "audit:read",
        404,
    ),
    Route(
        "GET",
        A + "/recipients/{tenant}/objects",
        lambda s: f"{A}/recipients/{VICTIM}/objects",
        "audit:read",
        200,
    ),
    Route("GET", A + "/policy", lambda s: f"{A}/policy?tenant={VICTIM}", "audit:read", 200),
    Route("GET", A + "/entries", lambda s: f"{A}/entries?tenant={VICTIM}", "audit:read", 200),
    Route("GET", A + "/checkpoints", lambda s: f"{A}/checkpoints", "audit:read", 200),
    Route("POST", A + "/checkpoints", lambda s: f"{A}/checkpoints", "audit:read", 200),
    Route("GET", A + "/public-key", lambda s: f"{A}/public-key", "audit:read", 200),
    Route("GET", A + "/proof", lambda s: f"{A}/proof?from_seq=1&to_seq=1", "audit:read", 200),
    # Sharing policies: another tenant's slug is 403 (slugs are public); its objects and jobs 404.
    Route("GET", P + "/schema", lambda s: f"{P}/schema", "policy:read", 200),
    Route("GET", P + "/{tenant}", lambda s: f"{P}/{VICTIM}", "policy:read", 403),
    Route("PUT", P + "/{tenant}", lambda s: f"{P}/{VICTIM}", "policy:write", 403),
    Route("GET", P + "/{tenant}/history", lambda s: f"{P}/{VICTIM}/history", "policy:read", 403),
    Route("POST", P + "/{tenant}/preview", lambda s: f"{P}/{VICTIM}/preview", "policy:read", 403),
    Route(
        "GET",
        "/api/v1/explain",
        lambda s: f"/api/v1/explain?object={s.private_object}&recipient={INTRUDER}",
        "policy:read",
        404,
    ),
    Route("GET", "/api/v1/jobs/{job_id}", lambda s: f"/api/v1/jobs/{s.job}", "policy:read", 404),
]


def _app_routes(settings: Settings) -> set[tuple[str, str]]:
    from fastapi.routing import iter_route_contexts

    app = create_app(settings)
    found = set()
    for route in iter_route_contexts(app.routes):
        path = getattr(route, "path", "")
        if path in PUBLIC or path.startswith("/console"):
            continue  # the console's routes have a matrix of their own: tests/console
        for method in getattr(route, "methods", set()) - {"HEAD", "OPTIONS"}:
            found.add((method, path))
    return found


def test_every_route_is_in_the_matrix(settings: Settings) -> None:
    assert _app_routes(settings) == {(r.method, r.template) for r in ROUTES}


@pytest.fixture
def secrets_(world: World) -> Secrets:
    me = world.scope(VICTIM).identity_id
    workspace = collection_id(world, f"{VICTIM}-workspace")
    shared = collection_id(world, "shared-exchange")
    private, red = indicator(me, tlp="amber"), indicator(me, tlp="red")
    cid, secret = world.creds(VICTIM)
    with httpx.Client(
        base_url=world.url, auth=(cid, secret), headers={"Accept": TAXII_MEDIA_TYPE}
    ) as c:
        st = post(c, f"{R}collections/{workspace}/objects/", [private])
        post(c, f"{R}collections/{shared}/objects/", [red, indicator(me), indicator(me)])
        page = c.get(f"{R}collections/{workspace}/objects/", params={"limit": 1}).json()
        post(c, f"{R}collections/{workspace}/objects/", [indicator(me)])
        token = c.get(f"{R}collections/{workspace}/objects/", params={"limit": 1}).json()["next"]
    assert "next" in page or token
    job = submit_policy(world.db, Policy(tenant=VICTIM), author="victim").job_id
    assert job
    return Secrets(workspace, shared, private["id"], red["id"], st["id"], token, job)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _token(world: World, settings: Settings, scopes: tuple[str, ...]) -> str:
    cid, secret = world.creds(VICTIM, scopes)
    r = httpx.post(
        f"{world.url}/oauth/token",
        data={"grant_type": "client_credentials", "scope": " ".join(scopes)},
        auth=(cid, secret),
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _callers(world: World, settings: Settings, scope: str) -> dict[str, dict[str, str]]:
    """Authorization headers of every caller who must be refused, by case name."""
    everything = ("taxii:read", "taxii:write", "policy:read", "policy:write", "audit:read")
    cid, _ = world.creds(VICTIM, everything)
    basic_wrong = base64.b64encode(f"{cid}:not-the-secret".encode()).decode()
    revoked_id, revoked_secret = world.creds(
        VICTIM, ("taxii:read", "taxii:write", "audit:read", "policy:read")
    )
    revoke_client(world.db, revoked_id)
    revoked = base64.b64encode(f"{revoked_id}:{revoked_secret}".encode()).decode()
    keys = SigningKeys.for_data_dir(settings.data_dir)
    past = TokenIssuer(
        keys,
        issuer=settings.base_url,
        audience=settings.base_url,
        ttl=60,
        clock=lambda: time.time() - 7200,
    )
    expired, _ = past.issue(cid, VICTIM, everything)
    stranger = ECKey.generate_key("P-256", private=True)
    stranger.ensure_kid()
    now = int(time.time())
    claims = {
        "iss": settings.base_url,
        "aud": settings.base_url,
        "sub": cid,
        "client_id": cid,
        "exp": now + 300,
        "iat": now,
        "nbf": now,
        "jti": "x",
        "scope": " ".join(everything),
        "tenant": VICTIM,
    }
    unknown_key = jwt.encode(
        {"alg": ALGORITHM, "typ": "at+jwt", "kid": stranger.kid},
        claims,
        stranger,
        algorithms=[ALGORITHM],
    )
    current_kid = keys.current().kid
    alg_none = f"{_b64({'alg': 'none', 'typ': 'at+jwt', 'kid': current_kid})}.{_b64(claims)}."
    wrong_scope = tuple(s for s in everything if s != scope) or ("audit:read",)
    return {
        "no credentials": {},
        "wrong secret": {"Authorization": f"Basic {basic_wrong}"},
        "revoked client": {"Authorization": f"Basic {revoked}"},
        "expired token": {"Authorization": f"Bearer {expired}"},
        "unknown signing key": {"Authorization": f"Bearer {unknown_key}"},
        "alg none": {"Authorization": f"Bearer {alg_none}"},
        "wrong scope": {"Authorization": f"Bearer {_token(world, settings, wrong_scope)}"},
    }


_ADDRESSES = itertools.count(1)


def _call(
    world: World, route: Route, s: Secrets, headers: dict[str, str], **params: str
) -> httpx.Response:
    # Each call appears to come from its own address behind the loopback proxy, so the
    # per-address throttle on failed logins (tested in tests/auth) does not turn the matrix's
    # deliberate failures into 429s.
    n = next(_ADDRESSES)
    h = {
        "Accept": TAXII_MEDIA_TYPE,
        "X-Forwarded-For": f"198.51.{100 + n // 250 % 3}.{n % 250 + 1}",
        **headers,
    }
    content = None
    if route.body:
        h["Content-Type"] = TAXII_MEDIA_TYPE
        content = json.dumps({"objects": [indicator(world.scope(INTRUDER).identity_id)]})
    return httpx.request(
        route.method, world.url + route.path(s), headers=h, content=content, params=params or None
    )


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.template}")
def test_refused_callers(world: World, settings: Settings, secrets_: Secrets, route: Route) -> None:
    for case, headers in _callers(world, settings, route.scope).items():
        r = _call(world, route, secrets_, headers)
        expected = 403 if case == "wrong scope" else 401
        assert r.status_code == expected, (case, r.status_code, r.text)
        assert r.headers["content-type"] == TAXII_MEDIA_TYPE, case
        if expected == 401:
            assert "www-authenticate" in r.headers, case
        assert not secrets_.leaked_in(r.text), case


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.template}")
def test_other_tenant_learns_nothing(world: World, secrets_: Secrets, route: Route) -> None:
    cid, secret = world.creds(INTRUDER)
    auth = base64.b64encode(f"{cid}:{secret}".encode()).decode()
    r = _call(world, route, secrets_, {"Authorization": f"Basic {auth}"})
    assert r.status_code == route.other_tenant, r.text
    assert not secrets_.leaked_in(r.text)
    if route.other_tenant == 404:
        absent = Secrets(
            "00000000-0000-4000-8000-000000000000",
            secrets_.shared,
            "indicator--00000000-0000-4000-8000-000000000000",
            "indicator--00000000-0000-4000-8000-000000000000",
            "00000000-0000-4000-8000-000000000000",
            "",
        )
        twin = _call(world, route, absent, {"Authorization": f"Basic {auth}"})
        assert twin.status_code == 404
        assert twin.json()["description"] == r.json()["description"]


@pytest.mark.parametrize("route", [r for r in ROUTES if r.pages], ids=lambda r: r.template)
def test_next_token_of_another_tenant_is_worthless(
    world: World, secrets_: Secrets, route: Route
) -> None:
    shared = Secrets(secrets_.shared, secrets_.shared, "", "", "", "")
    cid, secret = world.creds(INTRUDER)
    auth = base64.b64encode(f"{cid}:{secret}".encode()).decode()
    r = _call(world, route, shared, {"Authorization": f"Basic {auth}"}, next=secrets_.next_token)
    assert r.status_code == 400
    assert "objects" not in r.json()
    assert not secrets_.leaked_in(r.text)
