"""The console's explain page: what a recipient gets of one of the tenant's objects, and why.

A GET form (an object id, a recipient); with both, the answer of
:func:`hub.sharing.preview.explain_object` — the same as ``GET /api/v1/explain`` — rule by rule
and field by field, per collection holding the object, with whether a grant is stored. An
object the tenant did not publish answers 404 exactly like one that does not exist; so does an
unknown recipient ("No such tenant"), as in the API.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from hub.console.web import SignedIn, render
from hub.deps import HubDep
from hub.errors import NotFound
from hub.sharing.preview import explain_object
from hub.store.published import recent_published
from hub.store.tenants import list_tenants

__all__ = ["SUGGESTED", "router"]

router = APIRouter()

#: How many of the tenant's most recent object ids the form suggests.
SUGGESTED = 50

#: What each effect of a step of the trail means, for people.
EFFECTS = {
    "share": "shares",
    "deny": "denies",
    "restrict": "restricts fields",
    "capped": "capped by TLP",
    "none": "does not apply",
    "withhold": "withholds",
}

#: What each outcome of a property means, for people.
OUTCOMES = {
    "kept": "kept as published",
    "redact": "redacted (removed)",
    "encrypt": "encrypted to the recipient's registered key (removed if it has none)",
    "partly": "partly restricted",
    "pruned": "references pruned",
}


@router.get("/explain")
def page(
    request: Request,
    account: SignedIn,
    hub: HubDep,
    object: Annotated[str, Query(max_length=300)] = "",
    recipient: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The form; with an object and a recipient, the explanation (or a 404 page)."""
    object_id, slug = object.strip(), recipient.strip()
    answer: dict[str, Any] | None = None
    error: str | None = None
    with hub.db.session() as session:
        suggestions = [o.object_id for o in recent_published(session, account.tenant, SUGGESTED)]
        recipients = [
            (t.slug, t.name) for t in list_tenants(session) if t.slug != account.tenant.slug
        ]
        if object_id and slug:
            try:
                answer = explain_object(session, account.tenant, object_id, slug)
            except NotFound as exc:
                error = exc.description
    return render(
        request,
        "explain.html",
        "explain",
        404 if error else 200,
        title="Explain",
        object_id=object_id,
        recipient=slug,
        suggestions=suggestions,
        recipients=recipients,
        answer=answer,
        error=error,
        effects=EFFECTS,
        outcomes=OUTCOMES,
    )
