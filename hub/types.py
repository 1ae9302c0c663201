"""Small types shared across the hub's domains."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Principal", "TenantScope"]


@dataclass(frozen=True, slots=True)
class TenantScope:
    """The tenant on whose behalf a request acts, with what selectors resolve for it.

    Only :mod:`hub.auth` (for requests) and trusted system entry points (the CLI, the sync)
    construct one; every repository query that returns tenant data takes one, so a query that
    forgets the tenant does not type-check. A test enforces who constructs it.
    """

    tenant_id: int
    slug: str
    kind: str
    identity_id: str
    communities: frozenset[str]

    def matches(self, audience: str) -> bool:
        """Does the audience selector (``*``, ``tenant:``, ``community:``, ``kind:``) include us?"""
        if audience == "*":
            return True
        kind, _, value = audience.partition(":")
        if kind == "tenant":
            return value == self.slug
        if kind == "community":
            return value in self.communities
        if kind == "kind":
            return value == self.kind
        return False

    def matches_any(self, audiences: list[str]) -> bool:
        """True if any selector includes this tenant."""
        return any(self.matches(a) for a in audiences)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: one client of one tenant, with the scopes its credential carries."""

    client_id: str
    tenant: TenantScope
    scopes: frozenset[str]
    token_id: str | None = None

    def has(self, scope: str) -> bool:
        """True if the credential carries `scope`."""
        return scope in self.scopes
