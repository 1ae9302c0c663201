"""``/console/…``: sign-in, sign-out and the pages. :func:`install` mounts it all on the app.

Sign-in takes a user name, a password and a TOTP code in one form and answers every failure
alike ("wrong user name, password or code"). Failures are throttled per user name (5 a minute)
and per address (30 a minute) and go to the audit trail like the API's failed logins.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.staticfiles import StaticFiles

from hub.audit import AuditLog
from hub.audit.events import Action, Actor, AuditEvent, TenantRef
from hub.auth import events as auth_events
from hub.auth.throttle import SlidingWindow
from hub.console import access, directory, explain, oidc, overview, policy
from hub.console.accounts import Account, authenticate
from hub.console.sessions import end_session, start_session
from hub.console.web import (
    PREFIX,
    CsrfChecked,
    SignInRequired,
    cookie_name,
    error_page,
    is_secure,
    render,
    security_headers,
)
from hub.deps import get_hub
from hub.errors import HubError
from hub.runtime import Hub

__all__ = ["install", "router", "set_session_cookie", "start_console_session"]

STATIC = Path(__file__).parent / "static"

router = APIRouter(prefix=PREFIX, include_in_schema=False)


class Throttle:
    """Failed sign-ins of one app: 5 a minute per user name, 30 a minute per address."""

    def __init__(self) -> None:
        self.by_user = SlidingWindow(5, 60)
        self.by_addr = SlidingWindow(30, 60)


def _to(path: str) -> RedirectResponse:
    response = RedirectResponse(path, status_code=303)
    security_headers(response)
    return response


@router.get("")
@router.get("/")
def home() -> Response:
    """The console's front door: the overview (which sends strangers to sign in)."""
    return _to(f"{PREFIX}/overview")


@router.get("/sign-in")
def sign_in_form(request: Request) -> Response:
    """The sign-in page."""
    signed_out = request.query_params.get("signed-out") == "1"
    return render(
        request,
        "sign_in.html",
        "sign-in",
        title="Sign in",
        signed_out=signed_out,
        oidc_label=oidc.button_label(get_hub(request).settings),
    )


def _sign_in_event(
    account_tenant: TenantRef | None,
    username: str,
    source: str | None,
    outcome: str,
    method: str = "password",
) -> AuditEvent:
    return AuditEvent(
        Action.CONSOLE_SIGN_IN,
        Actor(account_tenant, f"user:{username[:64]}"),
        "success" if outcome == "success" else "failure",
        subject=account_tenant,
        details={"source": source, "method": method},
    )


async def start_console_session(hub: Hub, account: Account, source: str | None, method: str) -> str:
    """Start a session for `account` signed in by `method` (``password``, ``oidc``) and audit
    the sign-in; returns the session cookie's token."""
    token = await run_in_threadpool(start_session, hub.db, account)
    await run_in_threadpool(
        AuditLog.record,
        hub.db,
        _sign_in_event(TenantRef.of(account.tenant), account.username, source, "success", method),
    )
    return token


def set_session_cookie(response: Response, hub: Hub, token: str) -> None:
    """Give the browser its session cookie: HttpOnly, SameSite=Strict, Secure behind TLS."""
    response.set_cookie(
        cookie_name(hub),
        token,
        max_age=hub.settings.console_session_lifetime,
        path="/",
        secure=is_secure(hub),
        httponly=True,
        samesite="strict",
    )


@router.post("/sign-in")
async def sign_in(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    code: Annotated[str, Form(max_length=16)],
) -> Response:
    """Check the password and the TOTP code; start a session and go to the overview."""
    hub = get_hub(request)
    throttle: Throttle = request.app.state.console_throttle
    source = request.client.host if request.client else None
    keys = (f"user:{username.strip().lower()}", f"addr:{source}")
    wait = max(
        throttle.by_user.retry_after(keys[0]) or 0, throttle.by_addr.retry_after(keys[1]) or 0
    )
    if wait:
        auth_events.emit(
            auth_events.AuthEvent(
                f"console:{username[:64]}", None, source, "throttled", "throttled", "console"
            )
        )
        page = render(
            request,
            "sign_in.html",
            "sign-in",
            429,
            title="Sign in",
            error=f"Too many failed attempts. Try again in {wait} seconds.",
            username=username,
            oidc_label=oidc.button_label(hub.settings),
        )
        page.headers["Retry-After"] = str(wait)
        return page
    account = await run_in_threadpool(authenticate, hub.db, hub.keyring, username, password, code)
    if account is None:
        throttle.by_user.failure(keys[0])
        throttle.by_addr.failure(keys[1])
        auth_events.emit(
            auth_events.AuthEvent(
                f"console:{username[:64]}", None, source, "failure", "bad-credentials", "console"
            )
        )
        return render(
            request,
            "sign_in.html",
            "sign-in",
            401,
            title="Sign in",
            error="Wrong user name, password or code.",
            username=username,
            oidc_label=oidc.button_label(hub.settings),
        )
    token = await start_console_session(hub, account, source, "password")
    response = _to(f"{PREFIX}/overview")
    set_session_cookie(response, hub, token)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, live: CsrfChecked) -> Response:
    """End the session and forget the cookie."""
    hub = get_hub(request)
    await run_in_threadpool(end_session, hub.db, request.cookies.get(cookie_name(hub), ""))
    response = _to(f"{PREFIX}/sign-in?signed-out=1")
    response.delete_cookie(
        cookie_name(hub), path="/", secure=is_secure(hub), httponly=True, samesite="strict"
    )
    return response


for _pages in (overview, policy, explain, access, directory, oidc):
    router.include_router(_pages.router)


def install(app: FastAPI) -> None:
    """Mount the console on `app`: its routes, static files and error pages."""
    app.include_router(router)
    app.state.console_throttle = Throttle()
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="console-static")

    @app.exception_handler(SignInRequired)
    async def _sign_in_required(request: Request, _exc: SignInRequired) -> Response:
        if request.method == "GET":
            return _to(f"{PREFIX}/sign-in")
        return error_page(request, _Expired())


class _Expired(HubError):
    http_status = 401
    title = "Signed out"
    error_code = "console-session-ended"

    def __init__(self) -> None:
        super().__init__("Your session has ended. Sign in again.")


def is_console(request: Request) -> bool:
    """Is this request for a console page (errors render as pages, not TAXII messages)?"""
    return request.url.path == PREFIX or request.url.path.startswith(PREFIX + "/")
