"""What every console page shares: templates, the signed-in account, CSRF, security headers.

Pages depend on :data:`SignedIn` (any role) or :data:`PolicyOfficer`; a request without a live
session is sent to the sign-in page (a browser) — never shown anything. Every form that changes
something posts the session's CSRF token (``csrf``), checked by :data:`CsrfChecked` together
with the request's ``Origin``; htmx-style requests may send it as ``X-CSRF-Token`` instead.
"""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from hub.console.accounts import Account
from hub.console.sessions import Live, open_session
from hub.deps import get_hub
from hub.errors import Forbidden, HubError
from hub.runtime import Hub

__all__ = [
    "COOKIE",
    "CsrfChecked",
    "Page",
    "PolicyOfficer",
    "SignInRequired",
    "SignedIn",
    "cookie_name",
    "render",
    "security_headers",
]

PREFIX = "/console"
COOKIE = "hub_console"
TEMPLATES = Path(__file__).parent / "templates"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

#: Sent with every console response: nothing from elsewhere, no framing, no caching.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: under no-referrer browsers send "Origin: null" with a form's
    # POST (Fetch, "serializing a request origin"), and the CSRF check needs the real origin.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class SignInRequired(Exception):
    """No live session: the browser is sent to the sign-in page."""


def is_secure(hub: Hub) -> bool:
    """Behind TLS (the public URL is https): cookies get ``Secure`` and the ``__Host-`` prefix."""
    return hub.settings.base_url.startswith("https://")


def cookie_name(hub: Hub) -> str:
    """``__Host-hub_console`` behind TLS (bound to this host, Secure, path /), else plain."""
    return f"__Host-{COOKIE}" if is_secure(hub) else COOKIE


def live_session(request: Request) -> Live:
    """The request's live session, or :class:`SignInRequired`."""
    hub = get_hub(request)
    token = request.cookies.get(cookie_name(hub), "")
    live = open_session(
        hub.db,
        token,
        idle=hub.settings.console_idle_timeout,
        lifetime=hub.settings.console_session_lifetime,
    )
    if live is None:
        raise SignInRequired
    request.state.console = live
    return live


def _account(live: Annotated[Live, Depends(live_session)]) -> Account:
    return live.account


def _policy_officer(account: Annotated[Account, Depends(_account)]) -> Account:
    if not account.may_write_policy:
        raise Forbidden("Only a policy officer changes the tenant's policy")
    return account


SignedIn = Annotated[Account, Depends(_account)]
PolicyOfficer = Annotated[Account, Depends(_policy_officer)]


def _same_origin(request: Request) -> bool:
    """A state-changing request must come from the console's own pages: its ``Origin`` (or,
    failing that, ``Referer``) names this host. Browsers send one of them on every POST."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return False
    parts = urlsplit(origin)
    return parts.netloc == request.headers.get("host", "") and parts.scheme in ("http", "https")


async def check_csrf(request: Request, live: Annotated[Live, Depends(live_session)]) -> Live:
    """Refuse (403) a state-changing request without this session's CSRF token or from another
    origin."""
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf")
        sent = value if isinstance(value, str) else ""
    if not hmac.compare_digest(sent.encode(), live.csrf.encode()) or not _same_origin(request):
        raise Forbidden("This form has expired or did not come from the console; reload the page")
    return live


CsrfChecked = Annotated[Live, Depends(check_csrf)]


class Page:
    """Context every template gets: the account, the CSRF token, the active menu entry."""

    @staticmethod
    def context(request: Request, active: str, **values: Any) -> dict[str, Any]:
        live: Live | None = getattr(request.state, "console", None)
        return {
            "account": live.account if live else None,
            "csrf": live.csrf if live else "",
            "active": active,
            "prefix": PREFIX,
            "title": values.pop("title", active.capitalize()),
            **values,
        }


def security_headers(response: Response) -> Response:
    """Add the console's security headers to `response`."""
    response.headers.update(SECURITY_HEADERS)
    return response


def render(
    request: Request, template: str, active: str, status_code: int = 200, **values: Any
) -> HTMLResponse:
    """Render `template` with the page context; every console page goes through here."""
    html = _env.get_template(template).render(Page.context(request, active, **values))
    return security_headers(HTMLResponse(html, status_code))  # type: ignore[return-value]


def error_page(request: Request, exc: HubError) -> HTMLResponse:
    """A hub error on a console page, as a page (same status)."""
    return render(
        request,
        "error.html",
        "error",
        exc.http_status,
        title=exc.title,
        message=exc.description,
        status=exc.http_status,
    )
