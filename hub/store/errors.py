"""Errors of the storage layer, mapped into the hub's error tree."""

from __future__ import annotations

from hub.errors import ServiceUnavailable

__all__ = ["DatabaseUnavailable"]


class DatabaseUnavailable(ServiceUnavailable):
    """The database cannot be reached or refuses the connection."""

    title = "Database unavailable"
    error_code = "database-unavailable"
