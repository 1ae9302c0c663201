"""``/console/access``: who received the tenant's objects, from the audit trail.

Two questions, each a plain GET form: "who received this object?" (:func:`who_received`) and
"what did this recipient receive of ours?" (:func:`received_by`), over an optional period in UTC.
Both answer exactly what ``/api/v1/audit/…`` answers the tenant: the queries decide who sees
what, the viewer is the signed-in account's tenant. ``/console/access.csv`` exports the same
question, every page of it, one row per delivered object version.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from hub.audit.queries import Page, TimeRange, Viewer, iter_pages, received_by, who_received
from hub.console.accounts import Account
from hub.console.web import PREFIX, SignedIn, render, security_headers
from hub.deps import HubDep
from hub.errors import BadRequest, NotFound
from hub.store.tenants import list_tenants
from hub.timeutil import micros

__all__ = ["router"]

router = APIRouter()

PAGE_SIZE = 50
_BATCH = 500  # entries per query when counting or exporting every match
CSV_HEADER = ("time", "recipient", "client", "object_id", "version", "request_id")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_INSTANT = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?Z?)?$")
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")

ObjectParam = Annotated[str | None, Query(alias="object", max_length=256)]
RecipientParam = Annotated[str | None, Query(max_length=64)]
InstantParam = Annotated[str | None, Query(max_length=40)]
AfterParam = Annotated[int | None, Query(ge=0)]
LimitParam = Annotated[int, Query(ge=1, le=500)]


def _instant(value: str, label: str) -> int:
    """A date (midnight) or a date and time typed in a form, in UTC, as microseconds."""
    m = _INSTANT.match(value.strip())
    try:
        if not m:
            raise ValueError(value)
        day, clock, seconds, fraction = m.groups()
        dt = datetime.fromisoformat(f"{day}T{clock or '00:00'}:{seconds or '00'}")
    except ValueError:
        raise BadRequest(
            f"{label} {value!r} is not a date (2026-11-18) or a date and time "
            "(2026-11-18T09:30), in UTC"
        ) from None
    return micros(dt.replace(tzinfo=UTC)) + int((fraction or "0").ljust(6, "0"))


@dataclass(frozen=True, slots=True)
class Question:
    """One question of the page: the deliveries of an object, or those to a recipient."""

    object_id: str | None
    recipient: str | None
    since: str
    until: str
    window: TimeRange

    @property
    def about_object(self) -> bool:
        """True for "who received this object?", False for "what did this recipient receive?"."""
        return self.object_id is not None

    def page(self, session: Session, viewer: Viewer, after: int | None, limit: int) -> Page:
        """One page of the answer, as the audit API gives it to `viewer`."""
        if self.object_id is not None:
            return who_received(
                session, viewer, self.object_id, window=self.window, after=after, limit=limit
            )
        assert self.recipient is not None
        return received_by(
            session, viewer, self.recipient, window=self.window, after=after, limit=limit
        )

    def params(self, **extra: Any) -> str:
        """The query string that asks this question again (with `extra`)."""
        values: dict[str, Any] = (
            {"object": self.object_id}
            if self.object_id is not None
            else {"recipient": self.recipient}
        )
        values.update(since=self.since, until=self.until, **extra)
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})

    def filename(self) -> str:
        """A file name for the CSV export naming the question and its period."""
        if self.object_id is not None:
            name = f"recipients-of-{self.object_id}"
        else:
            name = f"received-by-{self.recipient}"
        if self.since:
            name += f"-from-{self.since}"
        if self.until:
            name += f"-before-{self.until}"
        return _UNSAFE_FILENAME.sub("_", name.replace(":", ""))[:180] + ".csv"


def _question(
    account: Account,
    object_id: str | None,
    recipient: str | None,
    since: str | None,
    until: str | None,
) -> Question | None:
    """The question the query string asks, None for none; :class:`BadRequest` if malformed."""
    if object_id is None and recipient is None:
        return None
    if object_id is not None and recipient is not None:
        raise BadRequest("Ask about an object or about a recipient, not both at once")
    if object_id is not None and not object_id.strip():
        raise BadRequest("Enter the id of an object your tenant published")
    if recipient is not None:
        if not recipient.strip():
            raise BadRequest("Choose the recipient tenant")
        if recipient == account.tenant.slug:
            raise BadRequest(
                "Choose another tenant: this page shows what other tenants received of yours"
            )
    since, until = (since or "").strip(), (until or "").strip()
    window = TimeRange(
        _instant(since, "From") if since else None,
        _instant(until, "Before") if until else None,
    )
    if window.since is not None and window.until is not None and window.since >= window.until:
        raise BadRequest("The period is empty: “From” must come before “Before”")
    return Question(
        object_id.strip() if object_id is not None else None,
        recipient,
        since,
        until,
        window,
    )


def _deliveries(items: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Rows to show: a tenant sees its objects' deliveries; the hub operator, whole entries
    (where the recipient is the entry's tenant)."""
    for item in items:
        yield {
            "seq": item["seq"],
            "time": item["time"],
            "recipient": item.get("recipient", item.get("tenant")),
            "client": item["client"],
            "request_id": item["request_id"],
            "objects": [(o[0], o[1]) for o in item["objects"]],
        }


@dataclass(slots=True)
class Totals:
    """Every match of a question: deliveries, object versions, and distinct recipients (of an
    object) or distinct objects (to a recipient)."""

    deliveries: int = 0
    versions: int = 0
    distinct: int = 0


def _totals(question: Question, items: Iterable[dict[str, Any]]) -> Totals:
    totals = Totals()
    seen: set[str] = set()
    for row in _deliveries(items):
        totals.deliveries += 1
        totals.versions += len(row["objects"])
        if question.about_object:
            seen.add(row["recipient"])
        else:
            seen.update(o[0] for o in row["objects"])
    totals.distinct = len(seen)
    return totals


@router.get("/access")
def page(
    request: Request,
    hub: HubDep,
    account: SignedIn,
    object_id: ObjectParam = None,
    recipient: RecipientParam = None,
    since: InstantParam = None,
    until: InstantParam = None,
    after: AfterParam = None,
    limit: LimitParam = PAGE_SIZE,
) -> Response:
    """The two questions and, when one is asked, its answer: totals and one page of
    deliveries."""
    viewer = account.tenant
    values: dict[str, Any] = {
        "object_id": object_id or "",
        "recipient": recipient or "",
        "since": since or "",
        "until": until or "",
        "mode": "object" if object_id is not None else "recipient" if recipient else "",
    }
    with hub.db.session() as session:
        tenants = [t for t in list_tenants(session) if t.slug != viewer.slug]
        values["recipients"] = [(t.slug, t.name) for t in tenants]
        names = {t.slug: t.name for t in tenants}
        try:
            question = _question(account, object_id, recipient, since, until)
            if question is not None:
                first = question.page(session, viewer, after, limit)
                totals = _totals(
                    question,
                    iter_pages(lambda a: question.page(session, viewer, a, _BATCH)),
                )
                values["answer"] = {
                    "question": question,
                    "recipient_name": names.get(question.recipient or "", question.recipient),
                    "rows": list(_deliveries(first.items)),
                    "totals": totals,
                    "csv": f"{PREFIX}/access.csv?{question.params()}",
                    "next": (
                        f"{PREFIX}/access?{question.params(after=first.next, limit=_limit(limit))}"
                        if first.next is not None
                        else None
                    ),
                    "first": (
                        f"{PREFIX}/access?{question.params(limit=_limit(limit))}"
                        if after is not None
                        else None
                    ),
                }
        except (BadRequest, NotFound) as exc:
            return render(
                request,
                "access.html",
                "access",
                exc.http_status,
                title="Access",
                error=exc.description,
                **values,
            )
    return render(request, "access.html", "access", title="Access", **values)


def _limit(limit: int) -> int | None:
    return None if limit == PAGE_SIZE else limit


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text, never evaluates (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def _csv_rows(items: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """One CSV line per delivered object version."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in _deliveries(items):
        for object_id, version in row["objects"]:
            writer.writerow(
                [
                    _cell(v)
                    for v in (
                        row["time"],
                        row["recipient"],
                        row["client"],
                        object_id,
                        version,
                        row["request_id"],
                    )
                ]
            )
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()


@router.get("/access.csv")
def export(
    hub: HubDep,
    account: SignedIn,
    object_id: ObjectParam = None,
    recipient: RecipientParam = None,
    since: InstantParam = None,
    until: InstantParam = None,
) -> Response:
    """Every delivery the question matches, as CSV. The first page is read before the response
    starts, so a foreign or absent object is a 404 page like on ``/access``."""
    viewer = account.tenant
    question = _question(account, object_id, recipient, since, until)
    if question is None:
        raise BadRequest("Ask about an object or about a recipient")
    with hub.db.session() as session:
        first = question.page(session, viewer, None, _BATCH)

    def lines() -> Iterator[bytes]:
        yield (",".join(CSV_HEADER) + "\r\n").encode()
        yield from _csv_rows(first.items)
        if first.next is None:
            return
        with hub.db.session() as session:
            rest = iter_pages(lambda a: question.page(session, viewer, a, _BATCH), first.next)
            yield from _csv_rows(rest)

    response = StreamingResponse(lines(), media_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{question.filename()}"'
    security_headers(response)
    return response
