"""The thin FastAPI adapter of :mod:`hub.auth`: the `Authorizer` dependency and the OAuth routes.

Routes: ``POST /oauth/token`` (RFC 6749 §3.2), ``GET /.well-known/oauth-authorization-server``
(RFC 8414 §3) and ``GET /.well-known/jwks.json`` (RFC 7517 §5). Everything else lives in the
framework-free modules; this one only translates requests and responses.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from hub.auth.oauth import HttpRequest
from hub.auth.scopes import ALL_SCOPES
from hub.auth.service import auth_service
from hub.deps import HubDep
from hub.runtime import Hub
from hub.types import Principal

__all__ = ["Authorizer", "router"]

_MAX_TOKEN_REQUEST = 16 * 1024


def _source(request: Request) -> str | None:
    return request.client.host if request.client else None


class Authorizer:
    """FastAPI dependency: the authenticated :class:`Principal`, holding every given scope.

    No or bad credentials → 401 with a ``WWW-Authenticate`` challenge; a missing scope → 403;
    too many failures → 429 with ``Retry-After``.
    """

    def __init__(self, *scopes: str) -> None:
        unknown = [s for s in scopes if s not in ALL_SCOPES]
        if unknown:
            raise ValueError(f"unknown scope(s) {unknown}; known: {ALL_SCOPES}")
        self.scopes = frozenset(scopes)

    def __repr__(self) -> str:
        return f"Authorizer({', '.join(sorted(self.scopes))})"

    def __call__(self, request: Request) -> Principal:
        hub: Hub = request.app.state.hub
        return auth_service(hub).authorize(
            request.headers.get("authorization"), _source(request), self.scopes
        )


router = APIRouter(tags=["oauth"])


@router.post("/oauth/token", response_class=JSONResponse)
async def token(request: Request, hub: HubDep) -> Response:
    """RFC 6749 §4.4 client credentials grant; errors as RFC 6749 §5.2."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > _MAX_TOKEN_REQUEST:
            return JSONResponse(
                {"error": "invalid_request", "error_description": "The request is too large"},
                status_code=400,
                headers={"Cache-Control": "no-store"},
            )
    http = HttpRequest(
        method=request.method,
        url=str(request.url),
        headers=dict(request.headers),
        body=bytes(body),
        source=_source(request),
    )
    result = await run_in_threadpool(auth_service(hub).token_response, http)
    return JSONResponse(result.body, status_code=result.status, headers=dict(result.headers))


@router.get("/.well-known/oauth-authorization-server", response_class=JSONResponse)
def metadata(hub: HubDep) -> Response:
    """RFC 8414 §3 authorisation server metadata."""
    return JSONResponse(auth_service(hub).metadata(), headers={"Cache-Control": "max-age=300"})


@router.get("/.well-known/jwks.json", response_class=JSONResponse)
def jwks(hub: HubDep) -> Response:
    """The public keys that verify the hub's access tokens (RFC 7517 §5)."""
    return JSONResponse(auth_service(hub).jwks(), headers={"Cache-Control": "max-age=60"})
