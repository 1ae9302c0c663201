"""Every route needs an Authorizer, except an explicit allow-list of public ones."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hub.app import create_app
from hub.auth import Authorizer
from hub.console.web import live_session
from hub.settings import Settings

PUBLIC = {
    "/healthz",
    "/readyz",
    "/oauth/token",
    "/docs",
    "/docs/oauth2-redirect",
    "/openapi.json",
    "/redoc",
}


def _routes(settings: Settings) -> Iterator[tuple[str, Any]]:
    """(path, dependant or None) of every route, including those of included routers."""
    app = create_app(settings)
    try:  # FastAPI ≥ 0.16x keeps included routers as such; this walks into them
        from fastapi.routing import iter_route_contexts

        routes: Any = iter_route_contexts(app.routes)
    except ImportError:  # older FastAPI flattened them into app.routes
        routes = app.routes
    for route in routes:
        yield route.path, getattr(route, "dependant", None)


def _authorizers(dependant: Any) -> list[Authorizer]:
    found = [dependant.call] if isinstance(dependant.call, Authorizer) else []
    for sub in dependant.dependencies:
        found += _authorizers(sub)
    return found


#: The console's doors: its sign-in (password + TOTP, or OpenID Connect), its front door and
#: its static files. Every other console page depends on the console's session.
CONSOLE_PUBLIC = {
    "/console",
    "/console/",
    "/console/sign-in",
    "/console/oidc/start",
    "/console/oidc/callback",
    "/console/static",
}


def _is_public(path: str) -> bool:
    return path in PUBLIC or path.startswith("/.well-known/") or path in CONSOLE_PUBLIC


def _calls(dependant: Any) -> list[Any]:
    found = [dependant.call]
    for sub in dependant.dependencies:
        found += _calls(sub)
    return found


def _protected(path: str, dependant: Any) -> bool:
    """An API route needs an Authorizer; a console page needs the console's live session."""
    if dependant is None:
        return False
    if path.startswith("/console"):
        return live_session in _calls(dependant)
    return bool(_authorizers(dependant))


def test_every_non_public_route_declares_an_authorizer(settings: Settings) -> None:
    routes = list(_routes(settings))
    unprotected = [
        path
        for path, dependant in routes
        if not _is_public(path) and not _protected(path, dependant)
    ]
    assert not unprotected, f"routes without an Authorizer: {unprotected}"
    paths = {path for path, _ in routes}
    assert {"/oauth/token", "/.well-known/jwks.json", "/taxii2/", "/healthz"} <= paths
    assert len([p for p in paths if p.startswith("/taxii2/")]) >= 5


def test_the_public_routes_do_not_authenticate(settings: Settings) -> None:
    for path, dependant in _routes(settings):
        if _is_public(path) and dependant is not None:
            assert not _authorizers(dependant), path
