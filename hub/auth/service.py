"""Authentication and authorisation of every request, and the authorisation server's state.

One :class:`AuthService` per :class:`hub.runtime.Hub` (see :func:`auth_service`). It accepts
RFC 6750 bearer tokens (the hub's RFC 9068 JWTs) and RFC 7617 HTTP Basic with a client id and
secret, for TAXII clients that only do Basic. Failed secret checks are throttled per client id and
per source address (:mod:`hub.auth.throttle`); every outcome is an event (:mod:`hub.auth.events`).
"""

from __future__ import annotations

import base64
import binascii
import threading
import weakref
from typing import Any, NoReturn

from hub.auth import events, replay
from hub.auth.clients import CLIENT_KEY_ALGS, ClientRecord
from hub.auth.directory import ClientDirectory, VerifiedSecrets
from hub.auth.errors import AuthFailed, InsufficientScope, InvalidToken, Throttled
from hub.auth.events import AuthEvent, Outcome
from hub.auth.hashing import dummy_hash, verify_secret
from hub.auth.oauth import TOKEN_AUTH_METHODS, HttpRequest, HttpResponse, OAuthServer
from hub.auth.scopes import ALL_SCOPES
from hub.auth.signing import SigningKeys
from hub.auth.throttle import SlidingWindow
from hub.auth.tokens import TokenIssuer
from hub.runtime import Hub
from hub.settings import Settings
from hub.store.db import Database
from hub.types import Principal

__all__ = [
    "ADDRESS_FAILURES",
    "CLIENT_FAILURES",
    "FAILURE_WINDOW",
    "AuthService",
    "auth_service",
]

#: Failed authentications tolerated per client id, and per source address, per window.
CLIENT_FAILURES = 5
ADDRESS_FAILURES = 30
FAILURE_WINDOW = 60.0
_MAX_CLIENT_ID = 64
_MAX_SECRET = 512


class AuthService:
    """Authenticates requests and backs the token endpoint for one hub."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.issuer = settings.base_url
        self.audience = settings.base_url
        self.token_endpoint = f"{self.issuer}/oauth/token"
        self.jwks_uri = f"{self.issuer}/.well-known/jwks.json"
        self.db = db
        self.keys = SigningKeys.for_data_dir(settings.data_dir)
        self.tokens = TokenIssuer(
            self.keys, issuer=self.issuer, audience=self.audience, ttl=settings.access_token_ttl
        )
        self.directory = ClientDirectory(db)
        self.verified = VerifiedSecrets()
        self.client_failures = SlidingWindow(CLIENT_FAILURES, FAILURE_WINDOW)
        self.address_failures = SlidingWindow(ADDRESS_FAILURES, FAILURE_WINDOW)
        self.server = OAuthServer(self)

    # -- requests to the API -----------------------------------------------------------------

    def authorize(
        self, authorization: str | None, source: str | None, required: frozenset[str]
    ) -> Principal:
        """The caller behind an ``Authorization`` header, if it holds every `required` scope."""
        scheme, _, credentials = (authorization or "").strip().partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer":
            principal, method = self._bearer(credentials.strip(), source), "bearer"
        elif scheme == "basic":
            principal, method = self._basic(credentials.strip(), source), "basic"
        elif not scheme:
            raise AuthFailed(
                "no-credentials", "Authentication required: a bearer token or HTTP Basic"
            )
        else:
            self._event(None, None, source, "failure", "unsupported-scheme", "unknown")
            raise AuthFailed("unsupported-scheme", "Use a bearer token or HTTP Basic")
        missing = required - principal.scopes
        if missing:
            self._event(
                principal.client_id, principal.tenant.slug, source, "denied",
                "insufficient-scope", method, principal.token_id,
            )  # fmt: skip
            raise InsufficientScope(frozenset(missing))
        self._event(
            principal.client_id, principal.tenant.slug, source, "success", "ok", method,
            principal.token_id,
        )  # fmt: skip
        return principal

    def _bearer(self, token: str, source: str | None) -> Principal:
        """RFC 6750 §2.1: a JWT access token of ours, of a client that is still active."""
        try:
            claims = self.tokens.verify(token)
        except InvalidToken as exc:
            self._event(None, None, source, "failure", exc.reason, "bearer")
            raise
        record = self.directory.get(claims.client_id)
        reason = None
        if record is None:
            reason = "unknown-client"
        elif record.revoked:
            reason = "revoked"
        elif not record.tenant_active:
            reason = "tenant-inactive"
        elif record.tenant.slug != claims.tenant:
            reason = "tenant-mismatch"
        if reason is not None or record is None:
            tenant = record.tenant.slug if record is not None else None
            self._event(claims.client_id, tenant, source, "failure", reason or "", "bearer")
            raise InvalidToken(reason or "unknown-client")
        return Principal(
            record.client_id, record.tenant, claims.scopes & record.scopes, claims.token_id
        )

    def _basic(self, credentials: str, source: str | None) -> Principal:
        """RFC 7617 §2: base64 of ``client_id:secret``."""
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        client_id, sep, secret = decoded.partition(":")
        if not sep or not client_id:
            self._event(None, None, source, "failure", "malformed-basic", "basic")
            raise AuthFailed("malformed-basic")
        record = self.check_secret(client_id, secret, source, "basic")
        return Principal(record.client_id, record.tenant, record.scopes)

    # -- secrets, throttling and events (also the token endpoint's backend) ----------------

    def client(self, client_id: str) -> ClientRecord | None:
        """The client's record, at most a few seconds old."""
        if not client_id or len(client_id) > _MAX_CLIENT_ID:
            return None
        return self.directory.get(client_id)

    def check_secret(
        self, client_id: str, secret: str, source: str | None, method: str
    ) -> ClientRecord:
        """The active client whose secret this is, or :class:`AuthFailed`/:class:`Throttled`.

        A secret that verified in the last minute against the same stored hash is accepted
        without hashing (and without throttling: only proven credentials hit the cache).
        Otherwise exactly one scrypt verification runs, against a dummy hash if the client is
        unknown or has no secret, so the time taken does not tell whether the client exists.
        """
        record = self.client(client_id)
        stored = record.secret_hash if record is not None else None
        if record is not None and stored and self.verified.hit(client_id, secret, stored):
            if not record.active:
                self._fail(record.client_id, record, source, method)
            return record
        self.check_throttle(client_id, source, method)
        ok = len(secret) <= _MAX_SECRET and verify_secret(secret, stored or dummy_hash())
        if record is None:
            self._fail(client_id, None, source, method, "unknown-client")
        if not ok or not stored:
            self._fail(client_id, record, source, method, "bad-secret" if stored else "no-secret")
        if not record.active:
            self._fail(client_id, record, source, method)
        assert stored is not None
        self.verified.remember(client_id, secret, stored)
        return record

    def _fail(
        self,
        client_id: str,
        record: ClientRecord | None,
        source: str | None,
        method: str,
        reason: str | None = None,
    ) -> NoReturn:
        if reason is None:
            assert record is not None
            reason = "revoked" if record.revoked else "tenant-inactive"
        self.failed(client_id, source, method, reason, record)
        raise AuthFailed(reason)

    def check_throttle(
        self, client_id: str | None, source: str | None, method: str = "unknown"
    ) -> None:
        """Raise :class:`Throttled` if this client id or address failed too often lately."""
        waits = [
            self.client_failures.retry_after(f"client:{client_id}") if client_id else None,
            self.address_failures.retry_after(f"addr:{source}") if source else None,
        ]
        wait = max((w for w in waits if w is not None), default=None)
        if wait is not None:
            self._event(client_id, None, source, "throttled", "throttled", method)
            raise Throttled(wait)

    def failed(
        self,
        client_id: str | None,
        source: str | None,
        method: str,
        reason: str,
        record: ClientRecord | None = None,
    ) -> None:
        """Count a failed authentication against the client id and the address; emit it."""
        if client_id:
            self.client_failures.failure(f"client:{client_id}")
        if source:
            self.address_failures.failure(f"addr:{source}")
        tenant = record.tenant.slug if record is not None else None
        self._event(client_id, tenant, source, "failure", reason, method)

    def denied(self, record: ClientRecord, source: str | None, method: str, reason: str) -> None:
        """Emit an authenticated but refused request (a scope the client does not hold)."""
        self._event(record.client_id, record.tenant.slug, source, "denied", reason, method)

    def issued(self, record: ClientRecord, source: str | None, method: str, jti: str) -> None:
        """Emit a successful token request."""
        self._event(record.client_id, record.tenant.slug, source, "success", "ok", method, jti)

    def first_use(self, client_id: str, jti: str, expires_at: int) -> bool:
        """RFC 7523 §3 replay guard, in the database so it holds across processes."""
        return replay.first_use(self.db, client_id, jti, expires_at)

    @staticmethod
    def _event(
        client_id: str | None,
        tenant: str | None,
        source: str | None,
        outcome: Outcome,
        reason: str,
        method: str,
        token_id: str | None = None,
    ) -> None:
        events.emit(AuthEvent(client_id, tenant, source, outcome, reason, method, token_id))

    # -- the authorisation server's documents ------------------------------------------------

    def token_response(self, request: HttpRequest) -> HttpResponse:
        """RFC 6749 §4.4.2 token request → §5.1 token or §5.2 error."""
        return self.server.token_response(request)

    def metadata(self) -> dict[str, Any]:
        """RFC 8414 §2 authorisation server metadata.

        No response type is supported (there is no authorisation endpoint), hence the empty
        ``response_types_supported``.
        """
        return {
            "issuer": self.issuer,
            "token_endpoint": self.token_endpoint,
            "jwks_uri": self.jwks_uri,
            "scopes_supported": list(ALL_SCOPES),
            "response_types_supported": [],
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": list(TOKEN_AUTH_METHODS),
            "token_endpoint_auth_signing_alg_values_supported": list(CLIENT_KEY_ALGS),
        }

    def jwks(self) -> dict[str, Any]:
        """The public signing keys (RFC 7517 §5) that verify the hub's access tokens."""
        return self.keys.public_jwks()


_services: weakref.WeakKeyDictionary[Hub, AuthService] = weakref.WeakKeyDictionary()
_services_lock = threading.Lock()


def auth_service(hub: Hub) -> AuthService:
    """The :class:`AuthService` of `hub`, made on first use."""
    service = _services.get(hub)
    if service is None:
        with _services_lock:
            service = _services.get(hub)
            if service is None:
                service = _services[hub] = AuthService(hub.settings, hub.db)
    return service
