"""The console's overview page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hub.console.web import SignedIn, render

__all__ = ["router"]

router = APIRouter()


@router.get("/overview")
def page(request: Request, account: SignedIn) -> Response:
    """The overview page."""
    return render(request, "placeholder.html", "overview", account_slug=account.tenant.slug)
