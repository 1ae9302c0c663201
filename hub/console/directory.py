"""The console's directory: who is on the hub. Public information only.

Every active tenant (name, slug, kind, communities, STIX identity) with the public keys it
registered for fields delivered to it encrypted, each with its RFC 7638 thumbprint
(:func:`hub.crypto.delivery.thumbprint`), and every community with its active members.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hub.console.web import SignedIn, render
from hub.crypto.delivery import thumbprint
from hub.crypto.errors import InvalidValue
from hub.deps import HubDep
from hub.store.tenants import list_communities, list_tenants, tenant_profiles

__all__ = ["router"]

router = APIRouter()


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A tenant's registered public key as the directory shows it."""

    kid: str | None
    kty: str
    crv: str
    thumbprint: str | None  # None: the stored JWK is not a usable public key


def _public_key(jwk: dict[str, Any]) -> PublicKey:
    try:
        print_ = thumbprint(jwk)
    except InvalidValue:
        print_ = None
    kid = jwk.get("kid")
    return PublicKey(
        str(kid) if kid else None, str(jwk.get("kty", "")), str(jwk.get("crv", "")), print_
    )


@router.get("/directory")
def page(request: Request, account: SignedIn, hub: HubDep) -> Response:
    """Every active tenant with its communities and public keys; every community's members."""
    with hub.db.session() as session:
        tenants = list_tenants(session)
        profiles = {p[0]: p for p in tenant_profiles(session, [t.id for t in tenants if t.id])}
        communities = list_communities(session)
    memberships = {t.slug: sorted(profiles[t.id][3]) if t.id in profiles else [] for t in tenants}
    members = {
        c.slug: [t.slug for t in tenants if c.slug in memberships[t.slug]] for c in communities
    }
    keys = {
        t.slug: [_public_key(k) for k in t.public_keys or [] if isinstance(k, dict)]
        for t in tenants
    }
    return render(
        request,
        "directory.html",
        "directory",
        title="Directory",
        tenants=tenants,
        memberships=memberships,
        communities=communities,
        members=members,
        keys=keys,
        names={t.slug: t.name for t in tenants},
    )
