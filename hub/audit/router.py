"""`/api/v1/audit/…`: the trail's queries, checkpoints, public key and proofs. Thin: parse,
call :mod:`hub.audit.queries` and friends, shape JSON or JSON Lines.

Every route requires the ``audit:read`` scope; what each caller sees is decided in
:mod:`hub.audit.queries`. Lists are pages ``{"items": [...], "next": <seq or null>}``; pass
``next`` back as ``after``. ``?format=jsonl`` streams every match as JSON Lines instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, FastAPI, Query
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from hub.audit import queries
from hub.audit.checkpoints import create_checkpoint, list_checkpoints
from hub.audit.errors import AuditQueryError
from hub.audit.maintenance import Maintenance
from hub.audit.proofs import build_proof
from hub.audit.signing import CheckpointSigner
from hub.auth import Authorizer
from hub.deps import HubDep
from hub.runtime import Hub
from hub.timeutil import parse_taxii_timestamp
from hub.types import Principal

__all__ = ["PREFIX", "router"]

PREFIX = "/api/v1/audit"
JSONL = "application/x-ndjson"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run this process's audit housekeeping (periodic checkpoints, retention)."""
    hub: Hub = app.state.hub
    maintenance = Maintenance(
        hub.db,
        lambda: CheckpointSigner.from_keyring(hub.keyring),
        retention_days=hub.settings.audit_retention_days,
    )
    maintenance.start()
    try:
        yield
    finally:
        await run_in_threadpool(maintenance.stop)


router = APIRouter(prefix=PREFIX, tags=["audit"], lifespan=_lifespan)

AuditReader = Annotated[Principal, Depends(Authorizer("audit:read"))]
Since = Annotated[str | None, Query(description="RFC 3339 UTC timestamp (inclusive)")]
Until = Annotated[str | None, Query(description="RFC 3339 UTC timestamp (exclusive)")]
After = Annotated[int | None, Query(ge=0, description="`next` of the previous page")]
Limit = Annotated[int, Query(ge=1, le=1000)]
Format = Annotated[Literal["json", "jsonl"], Query()]
PageQuery = Callable[[Session, int | None], queries.Page]


def _window(since: str | None, until: str | None) -> queries.TimeRange:
    try:
        return queries.TimeRange(
            parse_taxii_timestamp(since) if since else None,
            parse_taxii_timestamp(until) if until else None,
        )
    except ValueError as exc:
        raise AuditQueryError(str(exc)) from None


def _json(body: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code, media_type="application/json")


def _respond(hub: Hub, fmt: str, after: int | None, query: PageQuery) -> Response:
    """The first page as JSON, or (JSON Lines) every page, streamed.

    The first page is computed before the response starts, so a 404 is a 404 either way.
    """
    with hub.db.session() as session:
        first = query(session, after)
    if fmt == "json":
        return _json(first.as_dict())

    def lines() -> Iterator[bytes]:
        for item in first.items:
            yield orjson.dumps(item) + b"\n"
        if first.next is None:
            return
        with hub.db.session() as session:
            for item in queries.iter_pages(lambda a: query(session, a), first.next):
                yield orjson.dumps(item) + b"\n"

    return StreamingResponse(lines(), media_type=JSONL)


@router.get("/objects/{object_id}/recipients")
def object_recipients(
    object_id: str,
    hub: HubDep,
    p: AuditReader,
    since: Since = None,
    until: Until = None,
    after: After = None,
    limit: Limit = 100,
    format: Format = "json",
) -> Response:
    """Who received versions of `object_id`, and when. Only its publisher (or the operator)
    gets an answer: to anyone else the object does not exist (404)."""
    window = _window(since, until)
    return _respond(
        hub,
        format,
        after,
        lambda s, a: queries.who_received(
            s, p.tenant, object_id, window=window, after=a, limit=limit
        ),
    )


@router.get("/recipients/{tenant}/objects")
def recipient_objects(
    tenant: str,
    hub: HubDep,
    p: AuditReader,
    since: Since = None,
    until: Until = None,
    after: After = None,
    limit: Limit = 100,
    format: Format = "json",
) -> Response:
    """What tenant `tenant` received: all of it for itself (and the operator); for another
    tenant only the versions of objects that tenant published."""
    window = _window(since, until)
    return _respond(
        hub,
        format,
        after,
        lambda s, a: queries.received_by(s, p.tenant, tenant, window=window, after=a, limit=limit),
    )


@router.get("/policy")
def policy_history(
    hub: HubDep,
    p: AuditReader,
    tenant: str | None = None,
    since: Since = None,
    until: Until = None,
    after: After = None,
    limit: Limit = 100,
    format: Format = "json",
) -> Response:
    """Policy validations, applications and grant re-evaluations (a tenant: its own)."""
    window = _window(since, until)
    return _respond(
        hub,
        format,
        after,
        lambda s, a: queries.policy_history(
            s, p.tenant, tenant=tenant, window=window, after=a, limit=limit
        ),
    )


@router.get("/entries")
def entries(
    hub: HubDep,
    p: AuditReader,
    action: Annotated[list[str] | None, Query()] = None,
    tenant: str | None = None,
    since: Since = None,
    until: Until = None,
    after: After = None,
    limit: Limit = 100,
    format: Format = "json",
) -> Response:
    """Entries the caller may see (a tenant: those it acted in or that concern it)."""
    window = _window(since, until)
    actions = [a for value in action or [] for a in value.split(",") if a]
    return _respond(
        hub,
        format,
        after,
        lambda s, a: queries.entries(
            s, p.tenant, actions=actions, tenant=tenant, window=window, after=a, limit=limit
        ),
    )


@router.get("/checkpoints")
def get_checkpoints(
    hub: HubDep, _p: AuditReader, after: After = None, limit: Limit = 1000
) -> Response:
    """Signed checkpoints in `seq` order: keep them, to prove later the trail was not rewritten."""
    with hub.db.session() as session:
        items = [cp.as_dict() for cp in list_checkpoints(session, after=after, limit=limit)]
    return _json({"items": items, "next": items[-1]["seq"] if len(items) == limit else None})


@router.post("/checkpoints")
def post_checkpoint(hub: HubDep, _p: AuditReader) -> Response:
    """Sign the current head now (or return its existing checkpoint)."""
    cp = create_checkpoint(hub.db, CheckpointSigner.from_keyring(hub.keyring), kind="manual")
    return _json(cp.as_dict() if cp else None)


@router.get("/public-key")
def public_key(hub: HubDep, _p: AuditReader) -> Response:
    """The Ed25519 key that signs checkpoints (PEM), and its key id."""
    public = CheckpointSigner.from_keyring(hub.keyring).public
    return _json({"algorithm": "Ed25519", "key_id": public.key_id, "pem": public.pem()})


@router.get("/proof")
def proof(
    hub: HubDep,
    _p: AuditReader,
    from_seq: Annotated[int, Query(ge=1)],
    to_seq: Annotated[int, Query(ge=1)],
) -> Response:
    """Leaf digests linking entry `from_seq` to entry `to_seq` (see :mod:`hub.audit.proofs`)."""
    with hub.db.session() as session:
        return _json(build_proof(session, from_seq, to_seq).as_dict())
