"""Errors of the audit trail, each a :class:`hub.errors.HubError`."""

from __future__ import annotations

from hub.errors import BadRequest, HubError

__all__ = ["AuditError", "AuditQueryError", "SigningKeyUnavailable"]


class AuditError(HubError):
    """An audit entry could not be encoded or appended (a programming error: fail loudly)."""

    title = "Audit trail error"
    error_code = "audit-error"


class AuditQueryError(BadRequest):
    """A query of the trail with bad parameters."""

    error_code = "bad-audit-query"


class SigningKeyUnavailable(HubError):
    """The checkpoint signing key cannot be loaded (no keyring)."""

    title = "Audit signing key unavailable"
    error_code = "audit-signing-key-unavailable"
