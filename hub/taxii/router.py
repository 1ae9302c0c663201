"""TAXII 2.1 endpoints (§4 and §5). Thin: parse, call the domain, shape the response."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request, Response

from hub.audit import Actor, AuditEvent, AuditLog
from hub.auth import Authorizer
from hub.deps import HubDep, SessionDep
from hub.errors import BadRequest, NotFound, PayloadTooLarge
from hub.objects import ingest as publishing
from hub.objects import read
from hub.runtime import Hub
from hub.store import statuses
from hub.store.models import Status
from hub.store.tenants import list_collections
from hub.taxii.media import STIX_MEDIA_TYPE, TAXII_MEDIA_TYPE, check_accept, check_content_type
from hub.types import Principal

__all__ = ["API_ROOT", "router"]

API_ROOT = "/taxii2/hub/"


async def _accept(request: Request) -> None:
    check_accept(request.headers.get("accept"))  # pure: no worker-thread hop for it


router = APIRouter(tags=["taxii"], dependencies=[Depends(_accept)])

Reader = Annotated[Principal, Depends(Authorizer("taxii:read"))]
Writer = Annotated[Principal, Depends(Authorizer("taxii:write"))]


def taxii(body: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A response with the TAXII 2.1 media type."""
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(content, status_code, headers=headers, media_type=TAXII_MEDIA_TYPE)


def public_base(request: Request, hub: HubDep) -> str:
    """The base URL partners use: HUB_PUBLIC_URL, else the one this request came in on."""
    return hub.settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")


@router.get("/taxii2/")
def discovery(request: Request, hub: HubDep, _p: Reader) -> Response:
    """TAXII 2.1 §4.1 Server Discovery."""
    s = hub.settings
    root = public_base(request, hub) + API_ROOT
    return taxii(
        {
            "title": s.title,
            "description": "Counter-terrorism threat information exchange for fusion cells "
            "and their partners (STIX 2.1 over TAXII 2.1).",
            "contact": s.contact,
            "default": root,
            "api_roots": [root],
        }
    )


@router.get(API_ROOT)
def api_root(hub: HubDep, _p: Reader) -> Response:
    """TAXII 2.1 §4.2 Get API Root Information; `max_content_length` is enforced on POST."""
    return taxii(
        {
            "title": hub.settings.title,
            "description": "The hub's API root: every collection a tenant may read or write.",
            "versions": [TAXII_MEDIA_TYPE],
            "max_content_length": hub.settings.max_content_length,
        }
    )


def _status_body(st: Status) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": st.id,
        "status": st.status,
        "request_timestamp": st.request_timestamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "total_count": st.total_count,
        "success_count": st.success_count,
        "failure_count": st.failure_count,
        "pending_count": st.pending_count,
    }
    for key in ("successes", "failures", "pendings"):
        if getattr(st, key):
            body[key] = getattr(st, key)
    return body


@router.get(API_ROOT + "status/{status_id}/")
def get_status(status_id: str, session: SessionDep, p: Reader) -> Response:
    """TAXII 2.1 §4.3 Get Status: only the tenant that posted may read it."""
    st = statuses.get_for(session, p.tenant, status_id)
    if st is None:
        raise NotFound("No such status")
    return taxii(_status_body(st))


def _collection_body(col: Any, p: Principal) -> dict[str, Any]:
    return {
        "id": col.id,
        "title": col.title,
        "description": col.description,
        "alias": col.alias,
        "can_read": p.tenant.matches_any(col.readers) and p.has("taxii:read"),
        "can_write": p.tenant.matches_any(col.writers) and p.has("taxii:write"),
        "media_types": [STIX_MEDIA_TYPE],
    }


@router.get(API_ROOT + "collections/")
def get_collections(session: SessionDep, p: Reader) -> Response:
    """TAXII 2.1 §5.1 Get Collections: those this client's tenant may read or write."""
    cols = [
        _collection_body(c, p)
        for c in list_collections(session)
        if p.tenant.matches_any(c.readers) or p.tenant.matches_any(c.writers)
    ]
    return taxii({"collections": cols} if cols else {})


@router.get(API_ROOT + "collections/{collection_id}/")
def get_collection(collection_id: str, session: SessionDep, p: Reader) -> Response:
    """TAXII 2.1 §5.2 Get A Collection, with can_read/can_write computed for this client."""
    col = read.visible_collection(session, p.tenant, collection_id)
    return taxii(_collection_body(col, p))


def _filters(request: Request, hub: HubDep, version_default: str = "last") -> read.Filters:
    return read.parse_filters(
        request.query_params,
        default_limit=hub.settings.page_size_default,
        max_limit=hub.settings.page_size_max,
        version_default=version_default,
    )


def _audit_read(hub: Hub, p: Principal, collection_id: str, page: read.ObjectPage) -> None:
    """Record which versions went to whom before they are sent (one entry per request)."""
    if page.versions and hub.settings.audit_trail:
        AuditLog.record(hub.db, AuditEvent.read(Actor.of(p), collection_id, page.versions))


def _envelope(page: read.ObjectPage) -> Response:
    parts = [b'{"more":', b"true" if page.more else b"false"]
    if page.next:
        parts += [b',"next":"', page.next.encode(), b'"']
    if page.items:
        parts += [b',"objects":[', ",".join(body for _, body in page.items).encode(), b"]"]
    parts.append(b"}")
    return taxii(b"".join(parts), headers=page.headers)


@router.get(API_ROOT + "collections/{collection_id}/objects/")
def get_objects(
    collection_id: str, request: Request, hub: HubDep, session: SessionDep, p: Reader
) -> Response:
    """TAXII 2.1 §5.3 Get Objects: the granted versions, in date_added order."""
    page = read.get_objects(
        session, hub.page_tokens, p.tenant, collection_id, _filters(request, hub)
    )
    _audit_read(hub, p, collection_id, page)
    return _envelope(page)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise PayloadTooLarge(f"The body exceeds max_content_length ({limit} bytes)")
        except ValueError:
            raise BadRequest("Invalid Content-Length") from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The body exceeds max_content_length ({limit} bytes)")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(API_ROOT + "collections/{collection_id}/objects/")
async def add_objects(collection_id: str, request: Request, hub: HubDep, p: Writer) -> Response:
    """TAXII 2.1 §5.4 Add Objects: validate each object, store the good ones, return a status."""
    check_content_type(request.headers.get("content-type"))
    body = await _read_body(request, hub.settings.max_content_length)
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}") from None
    if not isinstance(envelope, dict):
        raise BadRequest("The body must be a TAXII envelope: a JSON object with `objects`")
    objects = envelope.get("objects", [])
    if not isinstance(objects, list):
        raise BadRequest("The envelope's `objects` must be a list")
    from starlette.concurrency import run_in_threadpool

    status = await run_in_threadpool(
        publishing.ingest,
        hub.db,
        publishing.Publisher(p.tenant, client_id=p.client_id),
        collection_id,
        objects,
        audit=hub.settings.audit_trail,
    )
    return taxii(_status_body(status), status_code=202)


@router.get(API_ROOT + "collections/{collection_id}/objects/{object_id}/")
def get_object(
    collection_id: str,
    object_id: str,
    request: Request,
    hub: HubDep,
    session: SessionDep,
    p: Reader,
) -> Response:
    """TAXII 2.1 §5.5 Get An Object: its granted versions (default: the latest)."""
    page = read.get_objects(
        session, hub.page_tokens, p.tenant, collection_id, _filters(request, hub), object_id
    )
    _audit_read(hub, p, collection_id, page)
    return _envelope(page)


@router.delete(API_ROOT + "collections/{collection_id}/objects/{object_id}/")
def delete_object(
    collection_id: str,
    object_id: str,
    request: Request,
    hub: HubDep,
    p: Writer,
) -> Response:
    """TAXII 2.1 §5.7 Delete An Object: the publisher removes the matching versions."""
    f = _filters(request, hub, version_default="all")
    with hub.db.write_session() as session:
        deleted = read.delete_object(session, p.tenant, collection_id, object_id, f)
        if hub.settings.audit_trail:
            AuditLog.record(session, AuditEvent.delete(Actor.of(p), collection_id, deleted))
    return taxii(b"", status_code=200)


@router.get(API_ROOT + "collections/{collection_id}/objects/{object_id}/versions/")
def get_versions(
    collection_id: str,
    object_id: str,
    request: Request,
    hub: HubDep,
    session: SessionDep,
    p: Reader,
) -> Response:
    """TAXII 2.1 §5.8 Get Object Versions."""
    mp = read.get_manifest(
        session, hub.page_tokens, p.tenant, collection_id, _filters(request, hub), object_id
    )
    body: dict[str, Any] = {"more": mp.page.more}
    if mp.page.next:
        body["next"] = mp.page.next
    if mp.records:
        body["versions"] = [r["version"] for r in mp.records]
    return taxii(body, headers=mp.page.headers)


@router.get(API_ROOT + "collections/{collection_id}/manifest/")
def get_manifest(
    collection_id: str, request: Request, hub: HubDep, session: SessionDep, p: Reader
) -> Response:
    """TAXII 2.1 §5.6 Get Object Manifests."""
    mp = read.get_manifest(
        session, hub.page_tokens, p.tenant, collection_id, _filters(request, hub)
    )
    body: dict[str, Any] = {"more": mp.page.more}
    if mp.page.next:
        body["next"] = mp.page.next
    if mp.records:
        body["objects"] = mp.records
    return taxii(body, headers=mp.page.headers)
