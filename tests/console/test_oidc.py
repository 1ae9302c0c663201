"""Console sign-in through an OpenID Connect provider.

The provider is real: authlib's authorisation server (authorization code grant, PKCE, OpenID
Connect) with an RSA key, a JWKS endpoint and a discovery document, served on 127.0.0.1. It
signs in whoever the test names, with the ``amr`` the test chooses, and can be told to issue a
token for another audience, with another nonce or issuer, already expired, or signed by a key
it never published. The hub is a real server too, configured to trust that provider.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlalchemy as sa
from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    InvalidRequestError,
    OAuth2Error,
    OAuth2Request,
)
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import AuthorizationCodeMixin, OpenIDCode
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from joserfc.jwk import KeySet, RSAKey
from pydantic import SecretStr, ValidationError

from hub.app import create_app
from hub.console.accounts import disable_user
from hub.runtime import Hub
from hub.server import background_server, free_port
from hub.settings import Settings
from hub.store.models import AuditEntry
from tests.conftest import World
from tests.console.conftest import People

CLIENT_ID = "fusion-hub-console"
CLIENT_SECRET = "console-client-secret-0123456789"
KID = "idp-signing-1"
LABEL = "Fusion SSO"
REFUSED = f"Signing in with {LABEL} did not succeed."


# -- the identity provider -------------------------------------------------------------------


@dataclass
class Person:
    """Whoever the provider signs in next, and how they authenticated (RFC 8176 values)."""

    username: str
    amr: list[str] = field(default_factory=lambda: ["pwd", "otp"])


@dataclass
class Code(AuthorizationCodeMixin):  # type: ignore[misc]
    """An authorization code issued and not yet redeemed."""

    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    person: Person
    auth_time: int

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_amr(self) -> list[str]:
        return self.person.amr


class Client(ClientMixin):  # type: ignore[misc]
    """The hub's console, registered as a confidential client."""

    def __init__(self) -> None:
        self.redirect_uri = ""

    def get_client_id(self) -> str:
        return CLIENT_ID

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in scope.split() if s in ("openid", "profile", "email"))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret: str) -> bool:
        return client_secret == CLIENT_SECRET

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "client_secret_basic"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


class Provider:
    """The identity provider's state: its key, its client, its codes and the test's knobs."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": KID})
        # Same kid, never published: only the signature can tell it apart.
        self.rogue = RSAKey.generate_key(2048, parameters={"kid": KID})
        self.client = Client()
        self.issuer = ""
        self.codes: dict[str, Code] = {}
        self.reset()

    def reset(self) -> None:
        self.person: Person | None = None
        self.audience: list[str] | None = None
        self.nonce: str | None = None
        self.claimed_issuer: str | None = None
        self.age = 0  # seconds the token was issued before now
        self.signing_key = self.key
        self.codes.clear()

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "grant_types_supported": ["authorization_code"],
        }


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    """RFC 6749 §4.1, insisting on PKCE with S256 (RFC 7636)."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic"]

    def validate_authorization_request(self) -> str:
        redirect_uri: str = super().validate_authorization_request()
        if self.request.payload.data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE with S256 is required", redirect_uri=redirect_uri)
        return redirect_uri

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        self.server.idp.codes[code] = Code(
            client_id=request.client.get_client_id(),
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope,
            nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            person=request.user,
            auth_time=int(time.time()),
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        found = self.server.idp.codes.get(code)
        return found if found is not None and found.client_id == client.get_client_id() else None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        codes = self.server.idp.codes
        for key in [k for k, v in codes.items() if v is authorization_code]:
            del codes[key]

    def authenticate_user(self, authorization_code: Code) -> Person:
        return authorization_code.person


class OpenID(OpenIDCode):  # type: ignore[misc]
    """OpenID Connect on the code grant: the ID token, as the test wants it this time."""

    def __init__(self, idp: Provider) -> None:
        super().__init__(require_nonce=True)
        self.idp = idp

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return False

    def resolve_client_private_key(self, client: Client) -> RSAKey:
        return self.idp.signing_key

    def get_client_algorithm(self, client: Client) -> str:
        return "RS256"

    def get_encode_header(self, client: Client) -> dict[str, str]:
        return {"alg": "RS256", "kid": KID}

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        now = int(time.time()) - self.idp.age
        claims = {
            "iss": self.idp.claimed_issuer or self.idp.issuer,
            "aud": self.idp.audience or [client.get_client_id()],
            "iat": now,
            "exp": now + 300,
        }
        if self.idp.audience:
            # Issued to another party at the hub's request: only `aud` tells.
            claims["azp"] = client.get_client_id()
        return claims

    def get_authorization_code_claims(self, authorization_code: Code) -> dict[str, Any]:
        claims: dict[str, Any] = super().get_authorization_code_claims(authorization_code)
        if self.idp.nonce is not None:
            claims["nonce"] = self.idp.nonce
        return claims

    def generate_user_info(self, user: Person, scope: str) -> dict[str, Any]:
        return {"sub": f"sub-{user.username}", "preferred_username": user.username}


class IdpRequest(OAuth2Request):  # type: ignore[misc]
    """authlib's view of one HTTP request to the provider."""

    def __init__(self, request: Request, form: dict[str, str]) -> None:
        super().__init__(request.method, str(request.url), headers=request.headers)
        self._args = dict(request.query_params)
        self._form = form
        self.payload = BasicOAuth2Payload({**self._args, **form})

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class IdpServer(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, idp: Provider) -> None:
        super().__init__(scopes_supported=["openid", "profile", "email"])
        self.idp = idp
        self.register_grant(CodeGrant, [CodeChallenge(required=True), OpenID(idp)])
        self.register_token_generator("default", self._token)

    def _token(self, scope: str, **_: Any) -> dict[str, Any]:
        return {
            "access_token": uuid.uuid4().hex,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": scope,
        }

    def query_client(self, client_id: str) -> Client | None:
        return self.idp.client if client_id == CLIENT_ID else None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        return None

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def create_oauth2_request(self, request: IdpRequest) -> IdpRequest:
        return request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
        if isinstance(body, dict):
            return JSONResponse(body, status, headers=dict(headers))
        return Response(body, status, headers=dict(headers))


def idp_app(idp: Provider) -> FastAPI:
    server = IdpServer(idp)
    app = FastAPI()

    @app.get("/.well-known/openid-configuration")
    def discovery() -> JSONResponse:
        return JSONResponse(idp.metadata())

    @app.get("/jwks")
    def jwks() -> JSONResponse:
        return JSONResponse(KeySet([idp.key]).as_dict(private=False))

    @app.get("/authorize")
    def authorize(request: Request) -> Response:
        # Signs in, without asking, whoever the test named (nobody: the person declines).
        oauth = IdpRequest(request, {})
        try:
            grant = server.get_consent_grant(oauth, end_user=idp.person)
        except OAuth2Error as error:
            return JSONResponse({"error": error.error}, 400)
        response: Response = server.create_authorization_response(
            oauth, grant_user=idp.person, grant=grant
        )
        return response

    @app.post("/token")
    async def token(request: Request) -> Response:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        response: Response = server.create_token_response(IdpRequest(request, form))
        return response

    return app


@pytest.fixture(scope="module")
def identity_provider() -> Iterator[Provider]:
    idp = Provider()
    with background_server(idp_app(idp)) as url:
        idp.issuer = url
        yield idp


@pytest.fixture
def idp(identity_provider: Provider) -> Iterator[Provider]:
    """The provider, with this test's knobs reset afterwards."""
    yield identity_provider
    identity_provider.reset()


# -- the hub and a browser -------------------------------------------------------------------


@contextmanager
def hub_trusting(
    world: World, settings: Settings, idp: Provider, **overrides: Any
) -> Iterator[str]:
    """A hub on the test database whose console trusts `idp`; yields its URL."""
    port = free_port()
    configured = settings.model_copy(
        update={
            "port": port,
            "jobs_enabled": False,
            "oidc_issuer": idp.issuer,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": SecretStr(CLIENT_SECRET),
            "oidc_label": LABEL,
            **overrides,
        }
    )
    idp.client.redirect_uri = f"http://127.0.0.1:{port}/console/oidc/callback"
    app = create_app(configured, hub=Hub(configured, database=world.db))
    # With its lifespan, as under `fusion-hub serve`: failed sign-ins reach the audit trail.
    with background_server(app, port=port, lifespan=True) as url:
        yield url


@pytest.fixture
def hub_url(world: World, settings: Settings, idp: Provider) -> Iterator[str]:
    with hub_trusting(world, settings, idp) as url:
        yield url


class Browser:
    """One browser: a cookie jar for the hub, redirects followed by hand between the two sites."""

    def __init__(self, hub_url: str) -> None:
        self.hub = httpx.Client(base_url=hub_url, follow_redirects=False, timeout=30)
        self.idp = httpx.Client(follow_redirects=False, timeout=30)
        self.started: httpx.Response | None = None

    def start(self) -> str:
        """Click "Sign in with …": the provider's authorization URL."""
        self.started = self.hub.get("/console/oidc/start")
        assert self.started.status_code == 303, self.started.text
        return self.started.headers["location"]

    def authorize(self, url: str) -> str:
        """Sign in at the provider: the URL it sends the browser back to."""
        r = self.idp.get(url)
        assert r.status_code == 302, r.text
        return r.headers["location"]

    def back(self, url: str) -> httpx.Response:
        return self.hub.get(url)

    def sign_in(self) -> httpx.Response:
        return self.back(self.authorize(self.start()))

    def close(self) -> None:
        self.hub.close()
        self.idp.close()


@pytest.fixture
def browsers(hub_url: str) -> Iterator[list[Browser]]:
    made = [Browser(hub_url) for _ in range(3)]
    yield made
    for b in made:
        b.close()


def _entries(world: World, action: str) -> list[AuditEntry]:
    with world.db.session() as s:
        return list(
            s.scalars(
                sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
            )
        )


def _refusal_reasons(world: World) -> list[str]:
    return [
        e.details["reason"]
        for e in _entries(world, "auth.failure")
        if e.details.get("method") == "console-oidc"
    ]


def _assert_refused(r: httpx.Response, b: Browser) -> None:
    assert r.status_code == 401, r.text
    assert REFUSED in r.text
    assert "hub_console" not in b.hub.cookies
    assert b.hub.get("/console/overview").status_code == 303


# -- the tests -------------------------------------------------------------------------------


def test_the_provider_signs_an_existing_account_in(
    people: People, idp: Provider, browsers: list[Browser], world: World
) -> None:
    officer = people.create("ng-nctc")
    idp.person = Person(officer.username)
    b = browsers[0]
    authorize = b.start()
    assert authorize.startswith(f"{idp.issuer}/authorize?")
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["response_type"] == ["code"]
    assert "openid" in query["scope"][0].split() and query["nonce"] and query["state"]
    assert query["redirect_uri"] == [idp.client.redirect_uri]
    assert b.started is not None
    flow_cookie = b.started.headers["set-cookie"].lower()
    assert "hub_console_oidc=" in flow_cookie and "httponly" in flow_cookie
    assert "samesite=lax" in flow_cookie and "max-age=600" in flow_cookie
    # The state and PKCE verifier are sealed, not readable in the cookie.
    assert query["state"][0] not in b.started.headers["set-cookie"]

    back = b.authorize(authorize)
    r = b.back(back)
    assert r.status_code == 200, r.text
    assert r.headers["refresh"] == "0; url=/console/overview"
    assert 'href="/console/overview"' in r.text
    session = [c for c in r.headers.get_list("set-cookie") if c.startswith("hub_console=")]
    assert len(session) == 1
    assert "httponly" in session[0].lower() and "samesite=strict" in session[0].lower()
    assert "hub_console_oidc" not in b.hub.cookies  # the flow is over

    page = b.hub.get("/console/overview")
    assert page.status_code == 200
    assert "ng-nctc" in page.text and "policy-officer" in page.text
    (signed_in,) = [e for e in _entries(world, "console.sign-in") if e.outcome == "success"]
    assert signed_in.actor_client == f"user:{officer.username}"
    assert signed_in.details["method"] == "oidc" and signed_in.actor_tenant == "ng-nctc"

    # The same answer from the provider, replayed, signs nobody in a second time.
    replay = browsers[1]
    replay.hub.cookies.set("hub_console_oidc", b.started.cookies["hub_console_oidc"])
    _assert_refused(replay.back(back), replay)


def test_the_password_sign_in_is_audited_with_its_method(people: People, world: World) -> None:
    people.sign_in(people.create("ke-nctc"))
    (signed_in,) = _entries(world, "console.sign-in")
    assert signed_in.details["method"] == "password"


def test_an_unknown_person_is_refused_like_a_wrong_password(
    idp: Provider, browsers: list[Browser], world: World
) -> None:
    stranger = f"stranger-{uuid.uuid4().hex[:8]}"
    idp.person = Person(stranger)
    b = browsers[0]
    _assert_refused(b.sign_in(), b)
    assert "Sign in with Fusion SSO" in b.back("/console/sign-in").text
    assert _refusal_reasons(world) == ["no-account"]
    (failure,) = _entries(world, "auth.failure")
    assert failure.actor_client == f"console:{stranger}"
    assert _entries(world, "console.sign-in") == []


def test_a_disabled_account_is_refused(
    people: People, idp: Provider, browsers: list[Browser], world: World
) -> None:
    officer = people.create("ng-nctc")
    assert disable_user(world.db, officer.username)
    idp.person = Person(officer.username)
    _assert_refused(browsers[0].sign_in(), browsers[0])
    assert _refusal_reasons(world) == ["no-account"]


@pytest.mark.parametrize("forgery", ["audience", "nonce", "issuer", "expired", "unpublished-key"])
def test_an_id_token_not_for_this_sign_in_is_refused(
    forgery: str, people: People, idp: Provider, browsers: list[Browser], world: World
) -> None:
    officer = people.create("ng-nctc")
    idp.person = Person(officer.username)
    if forgery == "audience":
        idp.audience = ["another-relying-party"]
    elif forgery == "nonce":
        idp.nonce = "a-nonce-from-another-sign-in"
    elif forgery == "issuer":
        idp.claimed_issuer = "https://idp.elsewhere.example"
    elif forgery == "expired":
        idp.age = 3600
    else:
        idp.signing_key = idp.rogue
    _assert_refused(browsers[0].sign_in(), browsers[0])
    assert _refusal_reasons(world) == ["id-token"]
    # Nothing else was wrong: the provider's honest token signs the same person in.
    idp.reset()
    idp.person = Person(officer.username)
    assert browsers[1].sign_in().status_code == 200


def test_without_a_second_factor_in_amr_the_person_is_refused(
    people: People, idp: Provider, browsers: list[Browser], world: World, settings: Settings
) -> None:
    officer = people.create("ng-nctc")
    idp.person = Person(officer.username, amr=["pwd"])
    _assert_refused(browsers[0].sign_in(), browsers[0])
    assert _refusal_reasons(world) == ["no-second-factor"]
    idp.person = Person(officer.username, amr=["pwd", "hwk"])
    assert browsers[1].sign_in().status_code == 200


def test_a_password_alone_is_enough_when_mfa_is_not_required(
    people: People, idp: Provider, world: World, settings: Settings
) -> None:
    officer = people.create("ng-nctc")
    idp.person = Person(officer.username, amr=["pwd"])
    with hub_trusting(world, settings, idp, oidc_require_mfa=False) as url:
        b = Browser(url)
        try:
            assert b.sign_in().status_code == 200
            assert b.hub.get("/console/overview").status_code == 200
        finally:
            b.close()


def test_an_answer_meant_for_another_browser_is_refused(
    people: People, idp: Provider, browsers: list[Browser], world: World
) -> None:
    officer = people.create("ng-nctc")
    idp.person = Person(officer.username)
    victim, attacker, bare = browsers
    attacker_url = attacker.start()
    victim.start()
    # The attacker's own answer from the provider, slipped into the victim's browser.
    answer = attacker.authorize(attacker_url)
    _assert_refused(victim.back(answer), victim)
    # …or into a browser that never started a sign-in.
    _assert_refused(bare.back(answer), bare)
    assert _refusal_reasons(world) == ["state", "state"]
    # It was only the state: in the browser that asked for it, the answer still works.
    assert attacker.back(answer).status_code == 200


def test_a_declined_sign_in_at_the_provider_is_refused(
    idp: Provider, browsers: list[Browser], world: World
) -> None:
    idp.person = None
    b = browsers[0]
    answer = b.authorize(b.start())
    assert "error=access_denied" in answer
    _assert_refused(b.back(answer), b)
    assert _refusal_reasons(world) == ["provider-error"]


def test_the_button_shows_only_when_configured(hub_url: str, world: World) -> None:
    with httpx.Client(base_url=hub_url) as configured:
        page = configured.get("/console/sign-in").text
        assert f"Sign in with {LABEL}" in page and 'href="/console/oidc/start"' in page
    with httpx.Client(base_url=world.url) as plain:
        assert "Sign in with" not in plain.get("/console/sign-in").text
        assert plain.get("/console/oidc/start").status_code == 404
        assert plain.get("/console/oidc/callback?code=x&state=y").status_code == 404


def test_settings_refuse_an_incomplete_or_insecure_provider(settings: Settings) -> None:
    with pytest.raises(ValidationError, match="HUB_OIDC_CLIENT_ID"):
        Settings(oidc_issuer="https://idp.example")
    with pytest.raises(ValidationError, match="https"):
        Settings(oidc_issuer="http://idp.example", oidc_client_id="c")
    with pytest.raises(ValidationError, match="https"):
        Settings(
            environment="production",
            database_url="postgresql://hub@db/hub",
            oidc_issuer="http://127.0.0.1:9000",
            oidc_client_id="c",
        )
    assert Settings(oidc_issuer="http://127.0.0.1:9000", oidc_client_id="c").oidc_require_mfa
    assert Settings().oidc_issuer == ""
