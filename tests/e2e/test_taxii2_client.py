"""A partner's view through the OASIS `taxii2-client`: discover, list, page, post, follow status.

Everything the hub serves is checked with the OASIS `stix2-validator`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from stix2validator import ValidationOptions, validate_instance
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from hub.crypto import EXTENSION_ID
from hub.sharing.extension import RED_RECIPIENTS_EXTENSION_ID
from tests.conftest import World
from tests.factories import indicator, malware
from tests.taxii.helpers import collection_id

pytestmark = pytest.mark.e2e


def _server(world: World, slug: str) -> Server:
    cid, secret = world.creds(slug)
    return Server(f"{world.url}/taxii2/", user=cid, password=secret)


def _assert_valid_stix(objects: list[dict[str, Any]]) -> None:
    options = ValidationOptions(version="2.1", strict=False)
    for obj in objects:
        result = validate_instance(obj, options)
        assert result.is_valid, (obj["id"], [str(e) for e in result.errors])


def test_partner_discovers_pages_and_posts(world: World) -> None:
    server = _server(world, "ng-nctc")
    assert server.title == "Fusion Hub"
    root: ApiRoot = server.default
    assert root is not None and root.max_content_length == 2 * 1024 * 1024
    cols = {c.title: c for c in root.collections}
    shared: Collection = cols["Shared exchange"]
    assert shared.can_read and shared.can_write

    me = world.scope("ng-nctc").identity_id
    objs = [indicator(me) for _ in range(25)] + [malware(me)]
    status = shared.add_objects(json.dumps({"objects": objs}), wait_for_completion=True)
    assert status.status == "complete"
    assert status.success_count == 26 and status.failure_count == 0

    partner = _server(world, "ke-nctc").default
    assert partner is not None
    theirs = next(c for c in partner.collections if c.id == shared.id)
    seen: list[dict[str, Any]] = []
    for envelope in as_pages(theirs.get_objects, per_request=10, type="indicator"):
        seen.extend(envelope.get("objects", []))
    assert [o["id"] for o in seen] == [o["id"] for o in objs[:25]]
    _assert_valid_stix(seen)

    one = theirs.get_object(objs[3]["id"])
    assert one["objects"][0]["id"] == objs[3]["id"]
    manifest = theirs.get_manifest(type="malware")
    assert [m["id"] for m in manifest["objects"]] == [objs[-1]["id"]]
    versions = theirs.object_versions(objs[0]["id"])
    assert versions["versions"] == ["2026-11-01T10:00:00.000000Z"]


def test_directory_serves_identities_and_markings(world: World) -> None:
    server = _server(world, "interpol")
    assert server.default is not None
    directory = next(c for c in server.default.collections if c.title == "Hub directory")
    assert directory.can_read and not directory.can_write
    objects: list[dict[str, Any]] = []
    for envelope in as_pages(directory.get_objects, per_request=50):
        objects.extend(envelope.get("objects", []))
    types = {o["type"] for o in objects}
    assert types == {"identity", "marking-definition", "extension-definition"}
    extensions = {o["id"] for o in objects if o["type"] == "extension-definition"}
    assert extensions == {EXTENSION_ID, RED_RECIPIENTS_EXTENSION_ID}
    names = {o.get("name") for o in objects if o["type"] == "identity"}
    assert "INTERPOL Counter-Terrorism Directorate" in names
    _assert_valid_stix(objects)


def test_client_sees_errors_as_exceptions(world: World) -> None:
    server = _server(world, "ng-nctc")
    hidden = collection_id(world, "ke-nctc-workspace")
    cid, secret = world.creds("ng-nctc")
    col = Collection(f"{world.url}/taxii2/hub/collections/{hidden}/", user=cid, password=secret)
    with pytest.raises(requests.HTTPError, match="404"):
        col.get_objects()
    bad = Server(f"{world.url}/taxii2/", user=cid, password="wrong")
    with pytest.raises(requests.HTTPError, match="401"):
        _ = bad.title
    assert server.default is not None
