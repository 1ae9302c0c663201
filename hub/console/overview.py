"""The console's overview: what the account's tenant published, and how many tenants hold it.

Counts are of objects (each at its latest version), by STIX type and by TLP, with the number of
other tenants holding a grant in force of them (:mod:`hub.store.published`); the most recent
objects link to their explanation.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hub.console.web import SignedIn, render
from hub.deps import HubDep
from hub.stix.tlp import TLP_ORDER
from hub.store.published import (
    PublishedCount,
    published_counts,
    published_total,
    recent_published,
)
from hub.timeutil import format_micros

__all__ = ["RECENT", "router"]

router = APIRouter()

#: How many of the most recent objects the overview lists.
RECENT = 20


def _shown(us: int) -> str:
    """A date for people: ``2026-11-28 17:30:05 UTC``."""
    return format_micros(us)[:19].replace("T", " ") + " UTC"


def _tlp_order(row: PublishedCount) -> int:
    """TLP levels from the least to the most restrictive; objects without a marking last."""
    return TLP_ORDER.index(row.key) if row.key in TLP_ORDER else len(TLP_ORDER)


@router.get("/overview")
def page(request: Request, account: SignedIn, hub: HubDep) -> Response:
    """What the tenant published: counts by type and by TLP, and its most recent objects."""
    with hub.db.session() as session:
        total = published_total(session, account.tenant)
        by_type = published_counts(session, account.tenant, "type")
        by_tlp = sorted(published_counts(session, account.tenant, "tlp"), key=_tlp_order)
        recent = recent_published(session, account.tenant, RECENT)
    return render(
        request,
        "overview.html",
        "overview",
        title="Overview",
        total=total,
        by_type=by_type,
        by_tlp=by_tlp,
        recent=recent,
        iso=format_micros,
        shown=_shown,
    )
