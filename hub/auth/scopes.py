"""OAuth 2.0 scopes of the hub (RFC 6749 §3.3) and which tenant kinds may hold them."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "ADMIN_SCOPE",
    "ALL_SCOPES",
    "TENANT_SCOPES",
    "parse_scope",
    "scopes_for_kind",
]

#: Scopes any tenant's client may hold.
TENANT_SCOPES: tuple[str, ...] = (
    "taxii:read",
    "taxii:write",
    "policy:read",
    "policy:write",
    "audit:read",
)
#: The operator's scope: tenant and credential administration.
ADMIN_SCOPE = "admin"
ALL_SCOPES: tuple[str, ...] = (*TENANT_SCOPES, ADMIN_SCOPE)
OPERATOR_KIND = "operator"


def scopes_for_kind(kind: str) -> tuple[str, ...]:
    """Every scope a tenant of this kind can hold; only the operator also holds ``admin``."""
    return ALL_SCOPES if kind == OPERATOR_KIND else TENANT_SCOPES


def parse_scope(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """A scope parameter (space-delimited, RFC 6749 §3.3) as an ordered tuple without repeats."""
    if value is None:
        return ()
    items = value.split() if isinstance(value, str) else [s.strip() for s in value]
    seen: dict[str, None] = {}
    for item in items:
        if item:
            seen.setdefault(item, None)
    return tuple(seen)
