"""The console's policy page: the policy in force, the editor, the impact preview, apply, history.

Every step calls the services the policy API calls (:mod:`hub.sharing.versions`,
:mod:`hub.sharing.documents`, :mod:`hub.sharing.preview`, :mod:`hub.sharing.service`) for the
signed-in account's own tenant, never another's: there is no tenant in any URL or form. Anyone
signed in reads the policy and its history; only a policy officer previews and applies.

A submitted policy that does not validate comes back (400) with the officer's text as numbered
lines and each problem the loader reports directly under the line it names (the rule, the field,
the YAML line), and changes nothing. Applying needs the reviewed impact confirmed, and is refused
(409) if another version came into force since the preview was made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from hub.console.accounts import Account
from hub.console.web import PREFIX, CsrfChecked, PolicyOfficer, SignedIn, render, security_headers
from hub.deps import get_hub
from hub.jobs import repository as jobs_repo
from hub.jobs.router import wake_runner
from hub.jobs.schemas import job_view
from hub.sharing import service, versions
from hub.sharing.documents import directory_from_db, parse_policy_text
from hub.sharing.loader import PolicyError
from hub.sharing.preview import preview_policy
from hub.sharing.router import MAX_POLICY_BYTES
from hub.tenancy.loader import Problem

__all__ = ["router"]

router = APIRouter()

#: Object ids listed per recipient and change in a preview (the counts are exact).
PREVIEW_IDS = 20
#: Versions per page of the history.
HISTORY_PAGE = 20
MAX_COMMENT = 2000
#: What YAML counts as a line break, so that line numbers here are the loader's.
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")

PolicyText = Annotated[str, Form(max_length=MAX_POLICY_BYTES)]
Comment = Annotated[str, Form(max_length=MAX_COMMENT)]


def _to(path: str) -> Response:
    return security_headers(RedirectResponse(path, status_code=303))


@dataclass(frozen=True)
class _Listed:
    """A problem as the page lists it: numbered (its anchor), located or not."""

    n: int
    line: int | None
    field: str
    message: str


@dataclass
class _Line:
    """One line of the submitted text and the problems located on it."""

    number: int
    text: str
    problems: list[_Listed] = field(default_factory=list)


def _annotate(text: str, problems: list[Problem]) -> tuple[list[_Line], list[_Listed]]:
    """The text as numbered lines with each problem under its line, and every problem in order
    (a problem past the last line goes under the last one; one without a line under none)."""
    lines = [_Line(i, t) for i, t in enumerate(_LINE_BREAK.split(text), start=1)]
    if lines and lines[-1].text == "" and len(lines) > 1:
        lines.pop()  # the break that ends the last line starts no line of its own
    ordered = sorted(problems, key=lambda p: (p.line is None, p.line or 0))
    listed = [_Listed(n, p.line, p.field, p.message) for n, p in enumerate(ordered, start=1)]
    for p in listed:
        if p.line is not None and lines:
            lines[min(p.line, len(lines)) - 1].problems.append(p)
    return lines, listed


async def _invalid(
    request: Request, account: Account, text: str, comment: str, exc: PolicyError
) -> Response:
    """The editor again (400) with the officer's text, each problem under its line."""
    lines, problems = _annotate(text, exc.problems)
    current = await run_in_threadpool(_current, request, account)
    return render(
        request,
        "policy.html",
        "policy",
        400,
        title="Policy",
        current=current,
        text=text,
        comment=comment,
        lines=lines,
        problems=problems,
    )


def _current(request: Request, account: Account) -> dict[str, Any]:
    """The policy in force for the account's tenant."""
    with get_hub(request).db.session() as session:
        return versions.current_policy(session, account.tenant.tenant_id, account.tenant.slug)


async def _preview_page(
    request: Request,
    account: Account,
    text: str,
    comment: str,
    *,
    status_code: int = 200,
    error: str | None = None,
) -> Response:
    """The impact of `text` on every recipient, and the form that applies it."""
    hub = get_hub(request)

    def run() -> dict[str, Any]:
        with hub.db.session() as session:
            directory = directory_from_db(session)
            policy = parse_policy_text(text, directory, tenant=account.tenant.slug, fmt="yaml")
            return preview_policy(session, policy, limit=PREVIEW_IDS)

    try:
        report = await run_in_threadpool(run)
    except PolicyError as exc:
        return await _invalid(request, account, text, comment, exc)
    return render(
        request,
        "policy_preview.html",
        "policy",
        status_code,
        title="Policy preview",
        report=report,
        text=text,
        comment=comment,
        error=error,
    )


@router.get("/policy")
def page(
    request: Request,
    account: SignedIn,
    applied: Annotated[int | None, Query(ge=1)] = None,
    job: Annotated[str | None, Query(max_length=64)] = None,
    unchanged: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    """The policy in force; for a policy officer, the editor (read-only for everyone else).

    After an apply: the version applied and its re-evaluation job (the tenant's own job only),
    or that nothing changed.
    """
    tenant = account.tenant
    with get_hub(request).db.session() as session:
        current = versions.current_policy(session, tenant.tenant_id, tenant.slug)
        found = jobs_repo.tenant_job(session, tenant, job) if job and applied else None
        applied_job = (
            job_view(found)
            if found is not None and found.payload.get("policy_seq") == applied
            else None
        )
    return render(
        request,
        "policy.html",
        "policy",
        title="Policy",
        current=current,
        text=versions.policy_yaml(current["policy"]),
        comment="",
        applied=applied if applied_job else None,
        applied_job=applied_job,
        unchanged=unchanged is not None and unchanged == current["version"],
    )


@router.post("/policy/preview")
async def preview(
    request: Request,
    account: PolicyOfficer,
    _csrf: CsrfChecked,
    policy: PolicyText = "",
    comment: Comment = "",
) -> Response:
    """Validate the submitted text and show what it would change for each recipient."""
    return await _preview_page(request, account, policy, comment)


@router.post("/policy/apply")
async def apply(
    request: Request,
    account: PolicyOfficer,
    _csrf: CsrfChecked,
    policy: PolicyText = "",
    comment: Comment = "",
    confirm: Annotated[str, Form(max_length=8)] = "",
    based_on: Annotated[int | None, Form(ge=0)] = None,
) -> Response:
    """Make the previewed text the policy in force and queue the re-evaluation of its grants.

    Refused with the impact shown again if the review is not confirmed (400) or if the policy in
    force is no longer the one the preview compared against (409); nothing is applied then.
    """
    if confirm != "yes":
        message = "Nothing was applied: tick “I have reviewed the impact” to apply this policy."
        return await _preview_page(
            request, account, policy, comment, status_code=400, error=message
        )
    current = await run_in_threadpool(_current, request, account)
    if based_on is not None and based_on != current["version"]:
        message = (
            f"Nothing was applied: version {current['version']} came into force after your "
            "preview. Review its impact again below."
        )
        return await _preview_page(
            request, account, policy, comment, status_code=409, error=message
        )
    try:
        outcome = await run_in_threadpool(
            service.submit_policy_text,
            get_hub(request).db,
            policy,
            tenant=account.tenant.slug,
            fmt="yaml",
            author=f"user:{account.username}",
            comment=comment,
        )
    except PolicyError as exc:
        return await _invalid(request, account, policy, comment, exc)
    if outcome.job_id is None:
        return _to(f"{PREFIX}/policy?unchanged={outcome.seq}")
    wake_runner(request)
    return _to(f"{PREFIX}/policy?applied={outcome.seq}&job={outcome.job_id}")


@router.get("/policy/history")
def history(
    request: Request,
    account: SignedIn,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """Every version of the tenant's policy, newest first, each with its diff to the previous."""
    tenant = account.tenant
    with get_hub(request).db.session() as session:
        body = versions.policy_history(
            session, tenant.tenant_id, tenant.slug, limit=HISTORY_PAGE, before=before
        )
    return render(
        request,
        "policy_history.html",
        "policy",
        title="Policy history",
        items=body["items"],
        next=body["next"],
        before=before,
    )
