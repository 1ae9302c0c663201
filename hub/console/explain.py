"""The console's explain page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hub.console.web import SignedIn, render

__all__ = ["router"]

router = APIRouter()


@router.get("/explain")
def page(request: Request, account: SignedIn) -> Response:
    """The explain page."""
    return render(request, "placeholder.html", "explain", account_slug=account.tenant.slug)
