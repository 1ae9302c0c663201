"""Errors of authentication and authorisation, each a :class:`hub.errors.HubError`.

Every refusal carries an internal `reason` (for the audit events and logs) that is never sent
to the client: an unknown client and a wrong secret must look the same from outside.
"""

from __future__ import annotations

from hub.errors import Forbidden, NotFound, TooManyRequests, Unauthorized, ValidationFailed

__all__ = [
    "REALM",
    "AuthFailed",
    "InsufficientScope",
    "InvalidClientSpec",
    "InvalidToken",
    "Throttled",
    "UnknownClient",
    "UnknownTenant",
]

REALM = "fusion-hub"


class AuthFailed(Unauthorized):
    """Missing or wrong credentials (RFC 9110 §11.6.1 challenge for Bearer and Basic)."""

    def __init__(self, reason: str, description: str | None = None) -> None:
        super().__init__(description or "Invalid client credentials", realm=REALM)
        self.reason = reason


class InvalidToken(AuthFailed):
    """A bearer token that does not validate (RFC 6750 §3.1 ``invalid_token``)."""

    def __init__(self, reason: str, description: str = "The access token is invalid") -> None:
        super().__init__(reason, description)
        self.headers["WWW-Authenticate"] = (
            f'Bearer realm="{REALM}", error="invalid_token", '
            f'error_description="{description}", Basic realm="{REALM}"'
        )


class InsufficientScope(Forbidden):
    """Authenticated, but the credential lacks a scope (RFC 6750 §3.1 ``insufficient_scope``)."""

    def __init__(self, missing: frozenset[str]) -> None:
        wanted = " ".join(sorted(missing))
        super().__init__(
            f"This client lacks the scope {wanted}",
            headers={
                "WWW-Authenticate": (
                    f'Bearer realm="{REALM}", error="insufficient_scope", scope="{wanted}"'
                )
            },
        )
        self.reason = "insufficient-scope"


class Throttled(TooManyRequests):
    """Too many failed authentications for this client id or source address."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "Too many failed authentication attempts; retry later", retry_after=retry_after
        )
        self.retry_after = retry_after
        self.reason = "throttled"


class InvalidClientSpec(ValidationFailed, ValueError):
    """A client registration that cannot be accepted (scopes, key set)."""


class UnknownTenant(NotFound, LookupError):
    """No active tenant with that slug."""


class UnknownClient(NotFound, LookupError):
    """No client with that client id."""
