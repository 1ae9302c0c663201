"""The console's policy page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hub.console.web import SignedIn, render

__all__ = ["router"]

router = APIRouter()


@router.get("/policy")
def page(request: Request, account: SignedIn) -> Response:
    """The policy page."""
    return render(request, "placeholder.html", "policy", account_slug=account.tenant.slug)
