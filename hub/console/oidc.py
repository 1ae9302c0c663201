"""``/console/oidc/…``: signing in through the organisation's OpenID Connect provider.

Optional, off unless ``HUB_OIDC_ISSUER`` is set. OpenID Connect Core 1.0 §3.1, the authorization
code flow, with PKCE (RFC 7636, ``S256``):

- ``GET /console/oidc/start`` sends the browser to the provider's authorization endpoint with a
  fresh ``state``, ``nonce`` and code challenge; the three secrets travel in a short-lived
  cookie sealed with the keyring's console key, so any hub process can finish the flow.
- ``GET /console/oidc/callback`` checks the returned ``state`` against that cookie, redeems the
  code at the token endpoint and validates the ID token (§3.1.3.7: signature by a key the
  provider publishes, issuer, audience, expiry, nonce) and, unless switched off, that ``amr``
  (RFC 8176) names a second factor, since the console's own sign-in demands one. The claim
  ``HUB_OIDC_USERNAME_CLAIM`` must name an existing, enabled console account — nobody is
  created here — which then gets exactly the session a password sign-in gives.

Every refusal shows the browser the same sign-in page and message, and is audited as a failed
console sign-in (method ``console-oidc``) with the precise reason.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx
import sqlalchemy as sa
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from authlib.oidc.discovery import OpenIDProviderMetadata, get_well_known_url
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from sqlmodel import col
from starlette.concurrency import run_in_threadpool

from hub.auth import events as auth_events
from hub.console.accounts import Account, account_of
from hub.console.web import PREFIX, is_secure, render, security_headers
from hub.deps import get_hub
from hub.errors import NotFound
from hub.runtime import Hub
from hub.settings import Settings
from hub.store.db import Database
from hub.store.models import ConsoleUser

__all__ = ["Flow", "Provider", "button_label", "router"]

router = APIRouter(prefix="/oidc")

#: The cookie carrying one browser's flow (``__Host-`` prefixed behind TLS).
FLOW_COOKIE = "hub_console_oidc"
#: Seconds a person has to finish signing in at the provider.
FLOW_TTL = 600
#: RFC 8176 methods that count as a second factor.
MFA_METHODS = frozenset({"mfa", "otp", "hwk", "swk", "fido"})
#: Signature algorithms accepted on an ID token: public-key ones only, never ``none`` or HMAC.
SIGNING_ALGS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
#: Seconds the discovery document and the provider's keys are kept.
METADATA_TTL = 3600
#: Fewest seconds between two fetches of the keys for a token naming an unknown key.
KEYS_REFRESH_AFTER = 60
#: Clock skew tolerated on ``exp``, ``iat`` and ``nbf``.
LEEWAY = 60
HTTP_TIMEOUT = 10.0
_AAD = b"fusion-hub console oidc flow"


class Refused(Exception):
    """The sign-in stops here. `reason` goes to the audit trail, never to the browser."""

    def __init__(self, reason: str, *, username: str | None = None, status: int = 401) -> None:
        super().__init__(reason)
        self.reason = reason
        self.username = username
        self.status = status


def button_label(settings: Settings) -> str | None:
    """What follows "Sign in with" on the sign-in page, or None when OIDC is off."""
    return settings.oidc_label if settings.oidc_issuer else None


# -- the flow cookie -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Flow:
    """One browser's sign-in in progress: what the callback must see again."""

    state: str
    nonce: str
    verifier: str
    started: int

    @classmethod
    def new(cls) -> Flow:
        """Fresh secrets: 256-bit state and nonce, a 384-bit PKCE verifier (RFC 7636 §4.1)."""
        return cls(
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(48),
            int(time.time()),
        )


def _flow_key(hub: Hub) -> bytes:
    return HKDF(SHA256(), 32, salt=None, info=b"fusion-hub console oidc v1").derive(
        hub.keyring.secret("session")
    )


def seal_flow(key: bytes, flow: Flow) -> str:
    """The flow as a cookie value: AES-256-GCM, so it can be neither read nor altered."""
    nonce = secrets.token_bytes(12)
    plain = json.dumps([flow.state, flow.nonce, flow.verifier, flow.started]).encode()
    sealed = AESGCM(key).encrypt(nonce, plain, _AAD)
    return "v1." + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def open_flow(key: bytes, value: str, now: int | None = None) -> Flow | None:
    """The flow sealed in `value`, or None (absent, forged, from another key, or too old)."""
    if not value.startswith("v1.") or len(value) > 1024:
        return None
    try:
        raw = base64.urlsafe_b64decode(value[3:] + "=" * (-len(value[3:]) % 4))
        state, nonce, verifier, started = json.loads(AESGCM(key).decrypt(raw[:12], raw[12:], _AAD))
    except (InvalidTag, ValueError, TypeError):
        return None
    age = (now if now is not None else int(time.time())) - int(started)
    if not 0 <= age <= FLOW_TTL:
        return None
    return Flow(str(state), str(nonce), str(verifier), int(started))


def flow_cookie_name(hub: Hub) -> str:
    """``__Host-hub_console_oidc`` behind TLS, else plain."""
    return f"__Host-{FLOW_COOKIE}" if is_secure(hub) else FLOW_COOKIE


# -- the provider ----------------------------------------------------------------------------


async def _get_json(http: httpx.AsyncClient, url: str) -> dict[str, Any]:
    try:
        response = await http.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        document = response.json()
    except (httpx.HTTPError, ValueError):
        raise Refused("provider-unavailable", status=502) from None
    if not isinstance(document, dict):
        raise Refused("provider-unavailable", status=502)
    return document


def _checked_metadata(document: dict[str, Any], issuer: str) -> dict[str, Any]:
    """The discovery document, if it is one for `issuer` that supports what we use."""
    metadata = OpenIDProviderMetadata(document)
    try:
        metadata.validate_issuer()
        metadata.validate_authorization_endpoint()
        metadata.validate_token_endpoint()
        metadata.validate_jwks_uri()
        metadata.validate_response_types_supported()
    except (ValueError, TypeError):
        raise Refused("provider-metadata", status=502) from None
    # Discovery §4.3: the issuer in the document is exactly the one configured.
    challenges = document.get("code_challenge_methods_supported")
    algs = document.get("id_token_signing_alg_values_supported", ["RS256"])
    if (
        document["issuer"] != issuer
        or not all(isinstance(document.get(k), str) for k in ("authorization_endpoint", "jwks_uri"))
        or "code" not in document["response_types_supported"]
        or (isinstance(challenges, list) and "S256" not in challenges)
        or not isinstance(algs, list)
    ):
        raise Refused("provider-metadata", status=502)
    return dict(document)


class Provider:
    """The identity provider as discovered (OpenID Connect Discovery 1.0 §4): its endpoints and
    signing keys, kept for an hour. The keys are fetched again early when a token names a key
    not seen yet (the provider rotated), at most once a minute."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None
        self._keys_at = 0.0

    async def metadata(self, http: httpx.AsyncClient) -> dict[str, Any]:
        """The discovery document (fetched again after :data:`METADATA_TTL` seconds)."""
        if self._metadata is None or time.monotonic() - self._metadata_at > METADATA_TTL:
            document = await _get_json(http, get_well_known_url(self.issuer, external=True))
            self._metadata = _checked_metadata(document, self.issuer)
            self._metadata_at = time.monotonic()
        return self._metadata

    async def keys(self, http: httpx.AsyncClient, *, refresh: bool = False) -> KeySet:
        """The provider's published keys (RFC 7517 key set from ``jwks_uri``)."""
        age = time.monotonic() - self._keys_at
        if self._keys is None or age > METADATA_TTL or (refresh and age > KEYS_REFRESH_AFTER):
            metadata = await self.metadata(http)
            document = await _get_json(http, metadata["jwks_uri"])
            try:
                self._keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
            except (JoseError, ValueError, TypeError, KeyError):
                raise Refused("provider-keys", status=502) from None
            self._keys_at = time.monotonic()
        return self._keys


def _provider(request: Request, settings: Settings) -> Provider:
    """The app's provider (one per app, so each hub process discovers on first use)."""
    provider: Provider | None = getattr(request.app.state, "console_oidc", None)
    if provider is None or provider.issuer != settings.oidc_issuer:
        provider = request.app.state.console_oidc = Provider(settings.oidc_issuer)
    return provider


def _http() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=HTTP_TIMEOUT, follow_redirects=False)


def _callback_url(settings: Settings) -> str:
    return f"{settings.base_url}{PREFIX}/oidc/callback"


def _scope(settings: Settings) -> str:
    scope = ["openid", "profile"]
    if settings.oidc_username_claim in ("email", "email_verified"):
        scope.append("email")
    return " ".join(scope)


async def _redeem(
    http: httpx.AsyncClient, settings: Settings, metadata: dict[str, Any], code: str, flow: Flow
) -> dict[str, Any]:
    """OIDC Core §3.1.3.1-3: the token response for `code`, proven with the PKCE verifier."""
    secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else ""
    supported = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if not secret:
        method = "none"
    elif "client_secret_basic" not in supported and "client_secret_post" in supported:
        method = "client_secret_post"
    else:
        method = "client_secret_basic"
    body = prepare_token_request(
        "authorization_code",
        code=code,
        redirect_uri=_callback_url(settings),
        code_verifier=flow.verifier,
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    url, headers, body = ClientAuth(settings.oidc_client_id, secret or None, method).prepare(
        "POST", metadata["token_endpoint"], headers, body
    )
    try:
        response = await http.post(url, content=body, headers=headers)
        token = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        raise Refused("token-request", status=502) from None
    if not isinstance(token, dict) or not isinstance(token.get("id_token"), str):
        raise Refused("token-request")
    return token


async def _id_token_claims(
    http: httpx.AsyncClient,
    provider: Provider,
    settings: Settings,
    token: dict[str, Any],
    flow: Flow,
) -> dict[str, Any]:
    """OIDC Core §3.1.3.7: the ID token's claims, if it is the provider's, for this client and
    this flow, and current. Raises :class:`Refused` otherwise."""
    metadata = await provider.metadata(http)
    offered = metadata.get("id_token_signing_alg_values_supported", ["RS256"])
    algs = [a for a in offered if a in SIGNING_ALGS]
    if not algs:
        raise Refused("id-token")
    access_token = token.get("access_token")
    try:
        try:
            decoded = jwt.decode(token["id_token"], await provider.keys(http), algorithms=algs)
        except InvalidKeyIdError:
            keys = await provider.keys(http, refresh=True)
            decoded = jwt.decode(token["id_token"], keys, algorithms=algs)
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {
                "iss": {"essential": True, "value": settings.oidc_issuer},
                "aud": {"essential": True, "value": settings.oidc_client_id},
            },
            {
                "nonce": flow.nonce,
                "client_id": settings.oidc_client_id,
                "access_token": access_token if isinstance(access_token, str) else None,
            },
        )
        claims.validate(leeway=LEEWAY)
    except (JoseError, ValueError, TypeError):
        raise Refused("id-token") from None
    return dict(claims)


def _has_second_factor(claims: dict[str, Any]) -> bool:
    amr = claims.get("amr")
    return isinstance(amr, list) and any(isinstance(m, str) and m in MFA_METHODS for m in amr)


def _enabled_account(db: Database, username: str) -> Account | None:
    """The enabled account called exactly `username` (of an active tenant), or None."""
    with db.session() as session:
        user = session.scalars(
            sa.select(ConsoleUser).where(col(ConsoleUser.username) == username)
        ).first()
        return account_of(session, user) if user is not None else None


# -- the routes ------------------------------------------------------------------------------


def _configured(hub: Hub) -> Settings:
    """The settings, or 404: without an issuer these pages do not exist."""
    if not hub.settings.oidc_issuer:
        raise NotFound("No such page")
    return hub.settings


def _source(request: Request) -> str | None:
    return request.client.host if request.client else None


def _refusal(request: Request, hub: Hub, refused: Refused) -> HTMLResponse:
    """The sign-in page with the one message every failure gets; the reason is audited."""
    username = refused.username
    auth_events.emit(
        auth_events.AuthEvent(
            f"console:{username[:64]}" if username else "console:oidc",
            None,
            _source(request),
            "failure",
            refused.reason,
            "console-oidc",
        )
    )
    label = hub.settings.oidc_label
    return render(
        request,
        "sign_in.html",
        "sign-in",
        refused.status,
        title="Sign in",
        error=f"Signing in with {label} did not succeed.",
        oidc_label=label,
    )


def _forget_flow(response: Response, hub: Hub) -> None:
    response.delete_cookie(
        flow_cookie_name(hub), path="/", secure=is_secure(hub), httponly=True, samesite="lax"
    )


@router.get("/start")
async def start(request: Request) -> Response:
    """Send the browser to the provider (OIDC Core §3.1.2.1, RFC 7636 §4.3)."""
    hub = get_hub(request)
    settings = _configured(hub)
    try:
        async with _http() as http:
            metadata = await _provider(request, settings).metadata(http)
    except Refused as refused:
        return _refusal(request, hub, refused)
    flow = Flow.new()
    url = prepare_grant_uri(
        metadata["authorization_endpoint"],
        client_id=settings.oidc_client_id,
        response_type="code",
        redirect_uri=_callback_url(settings),
        scope=_scope(settings),
        state=flow.state,
        nonce=flow.nonce,
        code_challenge=create_s256_code_challenge(flow.verifier),
        code_challenge_method="S256",
    )
    response = RedirectResponse(url, status_code=303)
    security_headers(response)
    # SameSite=Lax, not Strict like the session cookie: the callback is a top-level navigation
    # started on the provider's site, i.e. cross-site, and browsers send no Strict cookie with
    # it. Lax cookies do go with such GET navigations (never with cross-site POSTs or
    # subrequests), so the flow survives the round trip; a callback forged elsewhere still
    # fails, since it cannot know the state sealed in this browser's cookie.
    response.set_cookie(
        flow_cookie_name(hub),
        seal_flow(_flow_key(hub), flow),
        max_age=FLOW_TTL,
        path="/",
        secure=is_secure(hub),
        httponly=True,
        samesite="lax",
    )
    return response


async def _signed_in_account(request: Request, hub: Hub, settings: Settings) -> Account:
    """The account this callback signs in, or :class:`Refused`."""
    flow = open_flow(_flow_key(hub), request.cookies.get(flow_cookie_name(hub), ""))
    params = request.query_params
    # RFC 6749 §10.12: the state must be the one this browser was sent off with.
    if flow is None or not hmac.compare_digest(
        params.get("state", "").encode(), flow.state.encode()
    ):
        raise Refused("state")
    code = params.get("code", "")
    if "error" in params or not code or len(code) > 2048:
        raise Refused("provider-error")
    provider = _provider(request, settings)
    async with _http() as http:
        metadata = await provider.metadata(http)
        token = await _redeem(http, settings, metadata, code, flow)
        claims = await _id_token_claims(http, provider, settings, token, flow)
    username = claims.get(settings.oidc_username_claim)
    if not isinstance(username, str) or not 0 < len(username) <= 64:
        raise Refused("no-username")
    if settings.oidc_require_mfa and not _has_second_factor(claims):
        raise Refused("no-second-factor", username=username)
    account = await run_in_threadpool(_enabled_account, hub.db, username)
    if account is None:
        raise Refused("no-account", username=username)
    return account


@router.get("/callback")
async def callback(request: Request) -> Response:
    """Where the provider sends the browser back (OIDC Core §3.1.2.5): sign the person in."""
    from hub.console.router import set_session_cookie, start_console_session

    hub = get_hub(request)
    settings = _configured(hub)
    try:
        account = await _signed_in_account(request, hub, settings)
    except Refused as refused:
        response: Response = _refusal(request, hub, refused)
    else:
        token = await start_console_session(hub, account, _source(request), "oidc")
        overview = f"{PREFIX}/overview"
        # Not a redirect: this navigation began on the provider's site, so a browser would
        # withhold the new SameSite=Strict session cookie from a redirect to the overview too.
        # A page that moves on by itself makes the next request same-site.
        response = render(
            request, "sign_in.html", "sign-in", title="Signed in", continue_to=overview
        )
        response.headers["Refresh"] = f"0; url={overview}"
        set_session_cookie(response, hub, token)
    _forget_flow(response, hub)
    return response
