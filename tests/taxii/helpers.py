"""HTTP helpers for TAXII tests: a real httpx client against the live server."""

from __future__ import annotations

from typing import Any

import httpx

from hub.taxii.media import TAXII_MEDIA_TYPE
from hub.taxii.router import API_ROOT
from tests.conftest import World

HEADERS = {"Accept": TAXII_MEDIA_TYPE}


def client(world: World, slug: str, scopes: tuple[str, ...] | None = None) -> httpx.Client:
    """An httpx client authenticated (HTTP Basic) as a client of tenant `slug`."""
    cid, secret = world.creds(slug, scopes)
    return httpx.Client(base_url=world.url, auth=(cid, secret), headers=HEADERS, timeout=30)


def collection_id(world: World, alias: str) -> str:
    """The TAXII id of the collection called `alias`."""
    import sqlalchemy as sa

    from hub.store.models import Collection

    with world.db.session() as s:
        cid = s.scalars(sa.select(Collection.id).where(Collection.alias == alias)).one()
    return str(cid)


def objects_url(world: World, alias: str) -> str:
    """The objects endpoint of a collection."""
    return f"{API_ROOT}collections/{collection_id(world, alias)}/objects/"


def post(c: httpx.Client, url: str, objects: list[dict[str, Any]]) -> dict[str, Any]:
    """POST an envelope; assert 202 and return the status resource."""
    resp = c.post(url, json={"objects": objects}, headers={"Content-Type": TAXII_MEDIA_TYPE})
    assert resp.status_code == 202, resp.text
    assert resp.headers["content-type"] == TAXII_MEDIA_TYPE
    body: dict[str, Any] = resp.json()
    return body
