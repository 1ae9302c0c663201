"""The token endpoint: an authlib authorisation server for the client credentials grant.

RFC 6749 §4.4 with client authentication by ``client_secret_basic`` and ``client_secret_post``
(RFC 6749 §2.3.1) or ``private_key_jwt`` (RFC 7523 §2.2). Framework-free: a web adapter hands in
an :class:`HttpRequest` and sends back the :class:`HttpResponse`. Errors follow RFC 6749 §5.2.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientCredentialsGrant,
    InsecureTransportError,
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
)
from authlib.oauth2.rfc6749.util import extract_basic_authorization

from hub.auth.assertion import PrivateKeyJWT
from hub.auth.errors import AuthFailed, Throttled
from hub.auth.oauth_model import (
    TOKEN_AUTH_METHODS,
    Backend,
    HttpRequest,
    HttpResponse,
    HubClient,
    SlowDown,
    TokenRequest,
)
from hub.auth.scopes import ALL_SCOPES, parse_scope

__all__ = ["TOKEN_AUTH_METHODS", "HttpRequest", "HttpResponse", "OAuthServer"]

_DESCRIPTIONS = {
    "unsupported_grant_type": "Only grant_type=client_credentials is supported",
    "invalid_client": "Client authentication failed",
    "invalid_scope": "The requested scope is not allowed",
    "invalid_request": "The request is malformed",
}


def _auth_methods_used(request: TokenRequest) -> int:
    header = request.headers.get("Authorization", "")
    return sum(
        (
            header.lower().startswith("basic "),
            "client_secret" in request.form,
            "client_assertion" in request.form,
        )
    )


class ClientCredentials(ClientCredentialsGrant):  # type: ignore[misc]
    """RFC 6749 §4.4 for our clients; the scope must be a subset of the client's (§3.3)."""

    TOKEN_ENDPOINT_AUTH_METHODS = list(TOKEN_AUTH_METHODS)

    def validate_token_request(self) -> None:
        if _auth_methods_used(self.request) > 1:
            raise InvalidRequestError("Use exactly one client authentication method")
        super().validate_token_request()
        named = self.request.form.get("client_id")
        if named is not None and named != self.request.client.get_client_id():
            raise InvalidClientError(description="client_id is not the authenticated client")

    def validate_requested_scope(self) -> None:
        client: HubClient = self.request.client
        wanted = parse_scope(self.request.payload.scope)
        if any(s not in client.record.scopes for s in wanted):
            self.server.backend.denied(
                client.record, self.request.source, self.request.auth_method, "invalid-scope"
            )
            raise InvalidScopeError("The requested scope exceeds what this client may hold")


class OAuthServer(AuthorizationServer):  # type: ignore[misc]
    """authlib's authorisation server over a :class:`Backend`, issuing RFC 9068 JWTs."""

    def __init__(self, backend: Backend) -> None:
        super().__init__(scopes_supported=list(ALL_SCOPES))
        self.backend = backend
        self.register_grant(ClientCredentials)
        self.register_token_generator("default", self._generate)
        self.register_client_auth_method("client_secret_basic", self._secret_basic)
        self.register_client_auth_method("client_secret_post", self._secret_post)
        self.register_client_auth_method("private_key_jwt", PrivateKeyJWT(backend))

    def token_response(self, http: HttpRequest) -> HttpResponse:
        """Handle one token request (RFC 6749 §4.4.2) and produce §5.1 or §5.2."""
        try:
            response: HttpResponse = self.create_token_response(http)
        except (InsecureTransportError, InvalidRequestError) as error:
            response = self.handle_response(*error())
        return response

    # -- authlib hooks ---------------------------------------------------------------------

    def query_client(self, client_id: Any) -> HubClient | None:
        record = self.backend.client(client_id) if isinstance(client_id, str) else None
        return HubClient(record) if record is not None and record.active else None

    def save_token(self, token: dict[str, Any], request: TokenRequest) -> None:
        client: HubClient = request.client
        assert client.issued_jti is not None
        self.backend.issued(client.record, request.source, request.auth_method, client.issued_jti)

    def create_oauth2_request(self, request: HttpRequest) -> TokenRequest:
        return TokenRequest(request)

    def handle_response(
        self, status: int, body: Any, headers: list[tuple[str, str]]
    ) -> HttpResponse:
        payload = dict(body) if isinstance(body, dict) else {}
        if "error" in payload and not payload.get("error_description"):
            payload["error_description"] = _DESCRIPTIONS.get(payload["error"], "Refused")
        return HttpResponse(status, payload, list(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def authenticate_client(
        self, request: TokenRequest, methods: Any, endpoint: str = "token"
    ) -> Any:
        try:
            return super().authenticate_client(request, methods, endpoint)
        except InvalidClientError as error:
            # RFC 6749 §5.2: 401 if the client tried the Authorization header, else 400.
            error.status_code = 401 if "Authorization" in request.headers else 400
            raise

    # -- client authentication -------------------------------------------------------------

    def _check(
        self, client_id: str, secret: str, request: TokenRequest, method: str
    ) -> HubClient | None:
        try:
            record = self.backend.check_secret(client_id, secret, request.source, method)
        except Throttled as exc:
            raise SlowDown(exc.retry_after) from None
        except AuthFailed:
            return None
        return HubClient(record)

    def _secret_basic(self, query_client: Any, request: TokenRequest) -> HubClient | None:
        """``client_secret_basic``: RFC 6749 §2.3.1, form-encoded id and secret in Basic."""
        if not request.headers.get("Authorization", "").lower().startswith("basic "):
            return None
        client_id, secret = extract_basic_authorization(request.headers)
        if not client_id or secret is None:
            self.backend.failed(None, request.source, "client_secret_basic", "malformed-basic")
            return None
        return self._check(client_id, secret, request, "client_secret_basic")

    def _secret_post(self, query_client: Any, request: TokenRequest) -> HubClient | None:
        """``client_secret_post``: RFC 6749 §2.3.1, id and secret as form parameters."""
        client_id = request.form.get("client_id")
        secret = request.form.get("client_secret")
        if not client_id or secret is None:
            return None
        return self._check(client_id, secret, request, "client_secret_post")

    def _generate(
        self,
        grant_type: str,
        client: HubClient,
        user: Any = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = False,
    ) -> dict[str, Any]:
        """The access token response (RFC 6749 §5.1) around an RFC 9068 JWT."""
        record = client.record
        granted = parse_scope(scope) or tuple(s for s in ALL_SCOPES if s in record.scopes)
        token, jti = self.backend.tokens.issue(record.client_id, record.tenant.slug, granted)
        client.issued_jti = jti
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.backend.tokens.ttl,
            "scope": " ".join(granted),
        }
