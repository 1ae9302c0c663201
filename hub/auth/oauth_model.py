"""The plain request/response types of the token endpoint and authlib's views of our objects.

Framework-free: a web adapter builds an :class:`HttpRequest`; authlib (RFC 6749) sees it as a
:class:`TokenRequest` and our clients as :class:`HubClient`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl

from authlib.oauth2.rfc6749 import ClientMixin, InvalidRequestError, OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload

from hub.auth.clients import ClientRecord
from hub.auth.tokens import TokenIssuer

__all__ = [
    "TOKEN_AUTH_METHODS",
    "Backend",
    "HttpRequest",
    "HttpResponse",
    "HubClient",
    "SlowDown",
    "TokenRequest",
    "parse_form",
]

TOKEN_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")
_MAX_FIELDS = 16


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """The parts of an HTTP request the token endpoint reads."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes
    source: str | None = None


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """Status, JSON body and headers of a token endpoint response."""

    status: int
    body: dict[str, Any]
    headers: list[tuple[str, str]]


class Backend(Protocol):
    """What the authorisation server needs from the hub (implemented by ``AuthService``)."""

    issuer: str
    token_endpoint: str
    tokens: TokenIssuer

    def client(self, client_id: str) -> ClientRecord | None: ...

    def check_secret(
        self, client_id: str, secret: str, source: str | None, method: str
    ) -> ClientRecord: ...

    def check_throttle(
        self, client_id: str | None, source: str | None, method: str = ...
    ) -> None: ...

    def failed(
        self, client_id: str | None, source: str | None, method: str, reason: str
    ) -> None: ...

    def denied(
        self, record: ClientRecord, source: str | None, method: str, reason: str
    ) -> None: ...

    def issued(self, record: ClientRecord, source: str | None, method: str, jti: str) -> None: ...

    def first_use(self, client_id: str, jti: str, expires_at: int) -> bool: ...


class _Headers(Mapping[str, str]):
    """Case-insensitive header lookup (authlib asks for ``Authorization``)."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._h = {k.lower(): v for k, v in headers.items()}

    def __getitem__(self, key: str) -> str:
        return self._h[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._h)

    def __len__(self) -> int:
        return len(self._h)


def parse_form(headers: Mapping[str, str], body: bytes) -> dict[str, str]:
    """The form parameters of a token request (RFC 6749 §3.2: form-encoded, none repeated)."""
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        raise InvalidRequestError("The body must be application/x-www-form-urlencoded")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=_MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequestError("The body is not a valid form") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise InvalidRequestError("A parameter is repeated")
        form[name] = value
    return form


class TokenRequest(OAuth2Request):  # type: ignore[misc]
    """An authlib request built from a plain :class:`HttpRequest`."""

    def __init__(self, http: HttpRequest) -> None:
        headers = _Headers(http.headers)
        super().__init__(http.method, http.url, headers=headers)
        self._form = parse_form(headers, http.body) if http.method == "POST" else {}
        self.payload = BasicOAuth2Payload(self._form)
        self.source = http.source

    @property
    def form(self) -> dict[str, str]:
        return self._form

    @property
    def args(self) -> dict[str, str]:
        return {}


class SlowDown(OAuth2Error):  # type: ignore[misc]
    """429 with Retry-After: too many failed authentications for this client or address."""

    error = "temporarily_unavailable"
    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many failed authentication attempts; retry later")
        self.retry_after = retry_after

    def get_headers(self) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = super().get_headers()
        return [*headers, ("Retry-After", str(self.retry_after))]


class HubClient(ClientMixin):  # type: ignore[misc]
    """authlib's view of one of our clients (RFC 6749 §2)."""

    def __init__(self, record: ClientRecord) -> None:
        self.record = record
        self.issued_jti: str | None = None

    def get_client_id(self) -> str:
        return self.record.client_id

    def check_client_secret(self, client_secret: str) -> bool:
        return False  # secrets are checked by the backend (cache, throttle, dummy hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if method == "private_key_jwt":
            return bool(self.record.jwks)
        if method in ("client_secret_basic", "client_secret_post"):
            return self.record.secret_hash is not None and not self.record.jwks
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return bool(grant_type == "client_credentials")
