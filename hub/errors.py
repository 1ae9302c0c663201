"""The hub's one exception tree.

Every failure the hub reports to a client is a :class:`HubError`; a single handler in
:mod:`hub.app` renders it as a TAXII 2.1 error message (TAXII 2.1 §3.6.1) with the TAXII media
type. Lower layers (stix2, cryptography, SQLAlchemy) have their errors mapped into this tree at
one place each, so nothing leaks a stack trace or an internal detail to a client.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

__all__ = [
    "BadRequest",
    "Conflict",
    "Forbidden",
    "HubError",
    "NotAcceptable",
    "NotFound",
    "PayloadTooLarge",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "UnsupportedMediaType",
    "ValidationFailed",
]


class HubError(Exception):
    """Base of every error the hub reports to a client."""

    http_status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"
    error_code: ClassVar[str] = "internal-error"

    def __init__(
        self,
        description: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description or self.title)
        self.description = description or self.title
        self.details = details
        self.headers = headers or {}
        self.error_id = str(uuid.uuid4())

    def envelope(self) -> dict[str, Any]:
        """The TAXII 2.1 error message (§3.6.1) for this error."""
        body: dict[str, Any] = {
            "title": self.title,
            "description": self.description,
            "error_id": self.error_id,
            "error_code": self.error_code,
            "http_status": str(self.http_status),
        }
        if self.details:
            body["details"] = self.details
        return body


class BadRequest(HubError):
    """The request is malformed: bad JSON, bad parameter, not a TAXII envelope."""

    http_status = 400
    title = "Bad request"
    error_code = "bad-request"


class ValidationFailed(BadRequest):
    """The request is well-formed but its content does not validate."""

    title = "Validation failed"
    error_code = "validation-failed"


class Unauthorized(HubError):
    """No credentials, or credentials that do not authenticate (RFC 9110 §15.5.2)."""

    http_status = 401
    title = "Authentication required"
    error_code = "unauthorized"

    def __init__(self, description: str | None = None, *, realm: str = "fusion-hub") -> None:
        super().__init__(
            description,
            headers={"WWW-Authenticate": f'Bearer realm="{realm}", Basic realm="{realm}"'},
        )


class Forbidden(HubError):
    """Authenticated, but the client lacks the scope or permission for this action."""

    http_status = 403
    title = "Forbidden"
    error_code = "forbidden"


class NotFound(HubError):
    """Absent, or invisible to this client: the two are indistinguishable by design."""

    http_status = 404
    title = "Not found"
    error_code = "not-found"


class NotAcceptable(HubError):
    """The Accept header names no media type the hub can serve (TAXII 2.1 §1.6.8)."""

    http_status = 406
    title = "Not acceptable"
    error_code = "not-acceptable"


class Conflict(HubError):
    """The request conflicts with the current state."""

    http_status = 409
    title = "Conflict"
    error_code = "conflict"


class PayloadTooLarge(HubError):
    """The body exceeds the API root's max_content_length (TAXII 2.1 §4.2)."""

    http_status = 413
    title = "Payload too large"
    error_code = "payload-too-large"


class UnsupportedMediaType(HubError):
    """The body's Content-Type is not one the endpoint accepts (TAXII 2.1 §1.6.8)."""

    http_status = 415
    title = "Unsupported media type"
    error_code = "unsupported-media-type"


class TooManyRequests(HubError):
    """The client is throttled; retry after the given number of seconds."""

    http_status = 429
    title = "Too many requests"
    error_code = "too-many-requests"

    def __init__(self, description: str | None = None, *, retry_after: int) -> None:
        super().__init__(description, headers={"Retry-After": str(retry_after)})


class ServiceUnavailable(HubError):
    """A dependency (the database) is not reachable."""

    http_status = 503
    title = "Service unavailable"
    error_code = "service-unavailable"
