"""The console's directory page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hub.console.web import SignedIn, render

__all__ = ["router"]

router = APIRouter()


@router.get("/directory")
def page(request: Request, account: SignedIn) -> Response:
    """The directory page."""
    return render(request, "placeholder.html", "directory", account_slug=account.tenant.slug)
