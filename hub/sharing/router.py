"""`/api/v1/policies/…` and `/api/v1/explain`: the policy officer's API. Thin: parse, check who
may act on which tenant, call :mod:`hub.sharing.service` and friends, shape JSON.

Who may do what:

- ``policy:read`` — read the caller's own tenant's policy, history, JSON Schema; preview a
  proposed policy; explain the caller's own objects; follow its jobs.
- ``policy:write`` — replace the caller's own tenant's policy (``PUT``).
- The hub operator (``kind: operator`` with ``admin`` and ``policy:read``) may read every
  tenant's policy and history, never write, preview or explain another tenant's.
- Any other tenant's slug answers **403** for every policy route, whether or not such a tenant
  exists (slugs are public: every tenant's STIX identity is). Explaining an object the caller
  did not publish answers **404**, exactly like an object that does not exist.

A policy that does not validate is a 400 (``error_code`` ``invalid-sharing-policy``) whose
``details.problems`` name the rule (index and name) and the field, with YAML line numbers, and
changes nothing. The body of ``PUT`` and ``preview`` is the policy as ``application/json`` or
``application/yaml``; following a job (``/api/v1/jobs/{id}``) needs ``policy:read``.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
import yaml
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from hub.auth import Authorizer
from hub.deps import HubDep
from hub.errors import BadRequest, Forbidden, NotFound, PayloadTooLarge, UnsupportedMediaType
from hub.jobs import repository as jobs_repo
from hub.jobs.router import PREFIX as JOBS_PREFIX
from hub.jobs.router import wake_runner
from hub.jobs.schemas import job_view
from hub.runtime import Hub
from hub.sharing import service, versions
from hub.sharing.documents import BodyFormat, directory_from_db, parse_policy_text
from hub.sharing.policy import policy_json_schema
from hub.sharing.preview import explain_object, preview_policy
from hub.store.tenants import tenant_by_slug
from hub.types import Principal

__all__ = ["PREFIX", "router"]

PREFIX = "/api/v1"
MAX_POLICY_BYTES = 1024 * 1024
YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})
JSON_TYPES = frozenset({"application/json"})

router = APIRouter(prefix=PREFIX, tags=["policies"])

PolicyReader = Annotated[Principal, Depends(Authorizer("policy:read"))]
PolicyWriter = Annotated[Principal, Depends(Authorizer("policy:write"))]


def _json(body: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code, headers, media_type="application/json")


def _own(p: Principal, tenant: str) -> None:
    """A policy officer acts on its own tenant's policy only."""
    if p.tenant.slug != tenant:
        raise Forbidden("A policy officer acts on its own tenant's policy only")


def _may_read(p: Principal, tenant: str) -> None:
    if p.tenant.slug != tenant and not (p.tenant.kind == "operator" and p.has("admin")):
        raise Forbidden("A policy officer reads its own tenant's policy only")


def _tenant_id(hub: Hub, slug: str) -> int:
    with hub.db.session() as session:
        row = tenant_by_slug(session, slug)
    if row is None or row.id is None:
        raise NotFound("No such tenant")
    return row.id


async def _policy_body(request: Request) -> tuple[str, BodyFormat]:
    """The request's policy document and whether it is JSON or YAML (by Content-Type)."""
    media = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if media in JSON_TYPES:
        fmt: BodyFormat = "json"
    elif media in YAML_TYPES:
        fmt = "yaml"
    else:
        raise UnsupportedMediaType("Send the policy as application/json or application/yaml")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_POLICY_BYTES:
            raise PayloadTooLarge(f"A policy is at most {MAX_POLICY_BYTES} bytes")
    try:
        return data.decode("utf-8"), fmt
    except UnicodeDecodeError:
        raise BadRequest("The policy is not UTF-8 text") from None


@router.get("/policies/schema")
def get_schema(_p: PolicyReader) -> Response:
    """The JSON Schema of a policy document (as ``policies/schema.json``, for editors)."""
    return _json(policy_json_schema())


@router.get("/policies/{tenant}")
def get_policy(
    tenant: str,
    hub: HubDep,
    p: PolicyReader,
    format: Annotated[str, Query(pattern="^(json|yaml)$")] = "json",
) -> Response:
    """The policy in force for `tenant`, with its version, author and time (JSON or YAML)."""
    _may_read(p, tenant)
    tenant_id = _tenant_id(hub, tenant)
    with hub.db.session() as session:
        body = versions.current_policy(session, tenant_id, tenant)
    if format == "yaml":
        head = (
            f"# policy of {tenant}, version {body['version']}"
            f" by {body['author'] or '-'} at {body['created_at'] or '-'}\n"
        )
        text = head + yaml.safe_dump(body["policy"], sort_keys=False, allow_unicode=True)
        return Response(text, media_type="application/yaml")
    return _json(body)


@router.put("/policies/{tenant}")
async def put_policy(
    tenant: str,
    request: Request,
    hub: HubDep,
    p: PolicyWriter,
    comment: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    """Replace `tenant`'s policy: validate, store the version, queue the re-evaluation job.

    202 with the version and the job (``Location``: the job) once stored; 200 if identical to
    the policy in force. Grants of the previous version stop being in force at once; the job
    restores what the new version allows. A policy that does not validate changes nothing.
    """
    _own(p, tenant)
    text, fmt = await _policy_body(request)
    applied = await run_in_threadpool(
        service.submit_policy_text,
        hub.db,
        text,
        tenant=tenant,
        fmt=fmt,
        author=p.client_id,
        comment=comment,
    )
    body: dict[str, Any] = {
        "tenant": applied.tenant,
        "version": applied.seq,
        "changed": applied.changed,
        "content_hash": applied.content_hash,
        "job": None,
    }
    if applied.job_id is None:
        return _json(body)
    wake_runner(request)
    with hub.db.session() as session:
        job = jobs_repo.get_job(session, applied.job_id)
        body["job"] = job_view(job) if job is not None else {"id": applied.job_id}
    location = f"{JOBS_PREFIX}/{applied.job_id}"
    return _json(body, 202, {"Location": location})


@router.get("/policies/{tenant}/history")
def get_history(
    tenant: str,
    hub: HubDep,
    p: PolicyReader,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    before: Annotated[int | None, Query(ge=1, description="`next` of the previous page")] = None,
) -> Response:
    """Every version newest first: author, time, content hash, unified diff to the previous."""
    _may_read(p, tenant)
    tenant_id = _tenant_id(hub, tenant)
    with hub.db.session() as session:
        return _json(
            versions.policy_history(session, tenant_id, tenant, limit=limit, before=before)
        )


@router.post("/policies/{tenant}/preview")
async def post_preview(
    tenant: str,
    request: Request,
    hub: HubDep,
    p: PolicyReader,
    limit: Annotated[int, Query(ge=0, le=1000, description="Ids listed per change")] = 20,
) -> Response:
    """What applying this policy would change, per recipient: objects gained, lost, changed.

    Pure: nothing is stored. The same validation as ``PUT``.
    """
    _own(p, tenant)
    text, fmt = await _policy_body(request)

    def run() -> dict[str, Any]:
        with hub.db.session() as session:
            directory = directory_from_db(session)
            policy = parse_policy_text(text, directory, tenant=tenant, fmt=fmt)
            return preview_policy(session, policy, limit=limit)

    return _json(await run_in_threadpool(run))


@router.get("/explain")
def get_explain(
    hub: HubDep,
    p: PolicyReader,
    object: Annotated[str, Query(min_length=1, max_length=300, description="A STIX id")],
    recipient: Annotated[str, Query(min_length=1, max_length=64, description="Tenant slug")],
) -> Response:
    """What `recipient` gets of `object` (one of the caller's own), and why: rule by rule,
    field by field, and whether a grant is stored. Anyone else's object: 404."""
    with hub.db.session() as session:
        body = explain_object(session, p.tenant, object, recipient)
    return _json(body)
