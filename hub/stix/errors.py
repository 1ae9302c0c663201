"""Errors of the STIX layer.

Every problem an object has is one :class:`StixValidationError` with a one-line ``reason`` that
names the offending property. It is a :class:`hub.errors.ValidationFailed`, so the one TAXII
error handler renders it as a 400 error message (TAXII 2.1 §3.6.1) without further mapping.
"""

from __future__ import annotations

from hub.errors import ValidationFailed

__all__ = ["StixValidationError"]


class StixValidationError(ValidationFailed):
    """An object is not valid STIX 2.1; ``reason`` is one line and names the property."""

    title = "Invalid STIX object"
    error_code = "invalid-stix"

    def __init__(self, reason: str, *, prop: str | None = None) -> None:
        super().__init__(reason, details={"property": prop} if prop is not None else None)
        self.reason = reason
        self.prop = prop
