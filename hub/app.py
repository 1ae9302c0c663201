"""`create_app(settings)`: builds the FastAPI application. Nothing happens at import."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub import __version__
from hub.console.router import is_console
from hub.console.web import error_page
from hub.errors import BadRequest, HubError, NotFound
from hub.logging import RequestContextMiddleware, configure_logging
from hub.runtime import Hub
from hub.settings import Settings
from hub.store.migrate import head_revision, is_current
from hub.taxii.media import TAXII_MEDIA_TYPE

__all__ = ["create_app"]

log = logging.getLogger("hub.app")


def error_response(exc: HubError) -> Response:
    """Render any hub error as a TAXII 2.1 error message (§3.6.1) with the TAXII media type."""
    import orjson

    return Response(
        content=orjson.dumps(exc.envelope()),
        status_code=exc.http_status,
        media_type=TAXII_MEDIA_TYPE,
        headers=exc.headers,
    )


def create_app(settings: Settings | None = None, *, hub: Hub | None = None) -> FastAPI:
    """Build the hub's ASGI application from `settings` (read from the environment if None)."""
    settings = settings or Settings()
    hub = hub or Hub(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Failed, denied and throttled logins go to the audit trail of this process's hub.
        from hub.audit import AuditLog
        from hub.auth import events

        unsubscribe = events.subscribe(AuditLog.auth_subscriber(hub.db))
        try:
            yield
        finally:
            unsubscribe()
            hub.close()

    app = FastAPI(
        title=settings.title,
        version=__version__,
        lifespan=lifespan,
        redirect_slashes=False,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.hub = hub

    @app.exception_handler(HubError)
    async def _hub_error(request: Request, exc: HubError) -> Response:
        if exc.http_status >= 500:
            log.error("server error", extra={"error": exc.description})
        if is_console(request):
            return error_page(request, exc)
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        if is_console(request):
            return error_page(request, BadRequest("; ".join(problems)))
        return error_response(BadRequest("; ".join(problems), details={"problems": problems}))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            if is_console(request):
                return error_page(request, NotFound("No such page"))
            return error_response(NotFound("No such resource"))
        if exc.status_code == 405:
            err = BadRequest("Method not allowed on this resource")
            err.http_status = 405  # type: ignore[misc]
            return error_response(err)
        return error_response(BadRequest(str(exc.detail)))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> Response:
        log.exception("unhandled error")
        return error_response(HubError("The hub could not complete the request"))

    @app.get("/healthz", tags=["ops"], include_in_schema=True)
    def healthz() -> JSONResponse:
        """Liveness: the process is up and serving."""
        return JSONResponse({"status": "alive", "version": __version__})

    @app.get("/readyz", tags=["ops"])
    def readyz() -> JSONResponse:
        """Readiness: the database answers and its schema is at this code's revision."""
        try:
            hub.db.ping()
            current = is_current(hub.db)
        except HubError as exc:
            return JSONResponse({"status": "unavailable", "reason": exc.description}, 503)
        if not current:
            return JSONResponse(
                {"status": "unavailable", "reason": f"schema not at {head_revision()}; run init"},
                503,
            )
        return JSONResponse({"status": "ready", "schema": head_revision()})

    from hub.audit.router import router as audit_router
    from hub.auth.router import router as auth_router
    from hub.console.router import install as install_console
    from hub.jobs.router import router as jobs_router
    from hub.sharing.router import router as sharing_router
    from hub.taxii.router import router as taxii_router

    app.include_router(auth_router)
    app.include_router(audit_router)
    app.include_router(taxii_router)
    app.include_router(sharing_router)
    app.include_router(jobs_router)
    install_console(app)
    app.add_middleware(RequestContextMiddleware)
    configure_logging(settings.log_level)
    return app
