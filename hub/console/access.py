"""The console's access page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hub.console.web import SignedIn, render

__all__ = ["router"]

router = APIRouter()


@router.get("/access")
def page(request: Request, account: SignedIn) -> Response:
    """The access page."""
    return render(request, "placeholder.html", "access", account_slug=account.tenant.slug)
