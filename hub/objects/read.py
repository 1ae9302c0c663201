"""Reading a collection: TAXII 2.1 filters (§3.4) over the reader's grants, keyset-paginated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from sqlalchemy.orm import Session

from hub.errors import BadRequest, Forbidden, NotFound
from hub.objects.serve import render_page
from hub.store import objects as repo
from hub.store.models import Collection
from hub.store.tenants import collection_by_id
from hub.taxii.pagination import PageTokens, query_fingerprint
from hub.timeutil import format_micros, parse_taxii_timestamp
from hub.types import TenantScope

__all__ = [
    "Filters",
    "ObjectPage",
    "delete_object",
    "get_manifest",
    "get_objects",
    "parse_filters",
    "readable_collection",
    "visible_collection",
]


@dataclass(frozen=True, slots=True)
class Filters:
    """The TAXII 2.1 URL filters of one request (§3.4), parsed and checked."""

    limit: int
    added_after: int | None = None
    next: str | None = None
    ids: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    spec_versions: frozenset[str] = frozenset()
    versions: repo.VersionFilter = field(default_factory=repo.VersionFilter)

    def fingerprint(self, endpoint: str, collection_id: str, object_id: str = "") -> str:
        """What a `next` token is bound to: everything but `limit` and `next` itself."""
        return query_fingerprint(
            endpoint,
            collection_id,
            object_id,
            self.added_after,
            sorted(self.ids),
            sorted(self.types),
            sorted(self.spec_versions),
            self.versions,
        )


def _split(value: str | None) -> frozenset[str]:
    if value is None:
        return frozenset()
    return frozenset(v.strip() for v in value.split(",") if v.strip())


def parse_filters(
    params: Mapping[str, str], *, default_limit: int, max_limit: int, version_default: str = "last"
) -> Filters:
    """Parse `added_after`, `limit`, `next` and the `match[...]` filters; ignore the rest (§3.4)."""
    limit = default_limit
    if "limit" in params:
        try:
            limit = int(params["limit"])
        except ValueError:
            raise BadRequest("limit must be a positive integer") from None
        if limit < 1:
            raise BadRequest("limit must be a positive integer")
        limit = min(limit, max_limit)
    added_after = None
    if params.get("added_after"):
        try:
            added_after = parse_taxii_timestamp(params["added_after"])
        except ValueError as exc:
            raise BadRequest(f"added_after: {exc}") from None
    raw_versions = _split(params.get("match[version]")) or frozenset({version_default})
    exact: set[int] = set()
    for v in raw_versions - {"first", "last", "all"}:
        try:
            exact.add(parse_taxii_timestamp(v))
        except ValueError:
            raise BadRequest(
                f"match[version]: {v!r} is not first, last, all or a timestamp"
            ) from None
    versions = repo.VersionFilter(
        last="last" in raw_versions,
        first="first" in raw_versions,
        all="all" in raw_versions,
        exact=frozenset(exact),
    )
    return Filters(
        limit=limit,
        added_after=added_after,
        next=params.get("next") or None,
        ids=_split(params.get("match[id]")),
        types=_split(params.get("match[type]")),
        spec_versions=_split(params.get("match[spec_version]")),
        versions=versions,
    )


def visible_collection(session: Session, scope: TenantScope, collection_id: str) -> Collection:
    """The collection if the tenant may read or write it; 404 otherwise (TAXII 2.1 §5.2)."""
    col = collection_by_id(session, collection_id)
    if col is None or not (scope.matches_any(col.readers) or scope.matches_any(col.writers)):
        raise NotFound("No such collection")
    return col


def readable_collection(session: Session, scope: TenantScope, collection_id: str) -> Collection:
    """The collection if the tenant may read it; 403 if it may only write, 404 if neither."""
    col = visible_collection(session, scope, collection_id)
    if not scope.matches_any(col.readers):
        raise Forbidden("This client's tenant may not read this collection")
    return col


@dataclass(slots=True)
class ObjectPage:
    """One page: the items, and what the envelope and headers say about it."""

    items: list[tuple[int, str]]
    more: bool
    next: str | None
    first_added: int | None
    last_added: int | None
    versions: list[tuple[str, int]] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        """X-TAXII-Date-Added-First/Last (TAXII 2.1 §5.3); absent for an empty page."""
        if self.first_added is None or self.last_added is None:
            return {}
        return {
            "X-TAXII-Date-Added-First": format_micros(self.first_added),
            "X-TAXII-Date-Added-Last": format_micros(self.last_added),
        }


def _query(
    tokens: PageTokens,
    scope: TenantScope,
    col: Collection,
    f: Filters,
    endpoint: str,
    object_id: str = "",
) -> tuple[repo.PageQuery, str]:
    fingerprint = f.fingerprint(endpoint, col.id, object_id)
    after = f.added_after
    if f.next:
        after = tokens.open(f.next, scope.tenant_id, fingerprint)
    ids = frozenset({object_id}) if object_id else f.ids
    q = repo.PageQuery(
        collection_id=col.id,
        limit=f.limit,
        after=after,
        ids=ids,
        types=f.types,
        spec_versions=f.spec_versions,
        versions=f.versions,
    )
    return q, fingerprint


def _page(
    tokens: PageTokens,
    scope: TenantScope,
    fingerprint: str,
    rows: list[tuple[int, str]],
    more: bool,
) -> ObjectPage:
    last = rows[-1][0] if rows else None
    return ObjectPage(
        items=rows,
        more=more,
        next=tokens.issue(scope.tenant_id, fingerprint, last) if more and last else None,
        first_added=rows[0][0] if rows else None,
        last_added=last,
    )


def get_objects(
    session: Session,
    tokens: PageTokens,
    scope: TenantScope,
    collection_id: str,
    f: Filters,
    object_id: str = "",
) -> ObjectPage:
    """TAXII 2.1 §5.3 Get Objects / §5.5 Get An Object: stored JSON of the granted versions
    (versions with protected fields unsealed for this reader, :mod:`hub.objects.serve`)."""
    col = readable_collection(session, scope, collection_id)
    q, fp = _query(tokens, scope, col, f, "objects", object_id)
    rows, more = repo.page_objects(session, scope, q)
    if object_id and not rows and not f.next:
        raise NotFound("No such object")
    page = _page(tokens, scope, fp, render_page(session, scope, rows), more)
    page.versions = [(r.object_id, r.version) for r in rows]
    return page


@dataclass(slots=True)
class ManifestPage:
    """A page of manifest records (TAXII 2.1 §5.6) or of versions (§5.8)."""

    records: list[dict[str, str]]
    page: ObjectPage


def get_manifest(
    session: Session,
    tokens: PageTokens,
    scope: TenantScope,
    collection_id: str,
    f: Filters,
    object_id: str = "",
) -> ManifestPage:
    """TAXII 2.1 §5.6 Get Object Manifests, or with `object_id` §5.8 Get Object Versions."""
    col = readable_collection(session, scope, collection_id)
    endpoint = "versions" if object_id else "manifest"
    if object_id:
        f = replace(f, versions=repo.VersionFilter(last=False, all=True))
    q, fp = _query(tokens, scope, col, f, endpoint, object_id)
    rows, more = repo.page_grants(session, scope, q)
    if object_id and not rows and not f.next:
        raise NotFound("No such object")
    records = [
        {
            "id": r.object_id,
            "date_added": format_micros(r.date_added),
            "version": format_micros(r.version),
            "media_type": f"application/stix+json;version={r.spec_version}",
        }
        for r in rows
    ]
    page = _page(tokens, scope, fp, [(r.date_added, "") for r in rows], more)
    return ManifestPage(records, page)


def delete_object(
    session: Session, scope: TenantScope, collection_id: str, object_id: str, f: Filters
) -> list[tuple[str, int]]:
    """TAXII 2.1 §5.7 Delete An Object: the publisher removes versions it may see and owns.

    Returns the (object id, version) pairs deleted.
    """
    col = readable_collection(session, scope, collection_id)
    if not scope.matches_any(col.writers):
        raise Forbidden("This client's tenant may not write to this collection")
    q = repo.PageQuery(
        collection_id=col.id,
        limit=100_000,
        ids=frozenset({object_id}),
        spec_versions=f.spec_versions,
        versions=f.versions,
    )
    visible, _ = repo.page_grants(session, scope, q)
    if not visible:
        raise NotFound("No such object")
    rows = repo.version_owners(session, col.id, object_id, [r.version for r in visible])
    if any(owner != scope.tenant_id for _, owner in rows):
        raise Forbidden("Only the publisher of an object may delete it")
    repo.delete_versions(session, col.id, [seq for seq, _ in rows])
    repo.refresh_latest(session, col.id, [object_id])
    return [(object_id, r.version) for r in visible]
