"""HUB_AUDIT_TRAIL: off only for measuring the trail's cost, never in production."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from hub.app import create_app
from hub.objects.ingest import Publisher, ingest
from hub.runtime import Hub
from hub.server import background_server
from hub.settings import Settings
from hub.store.models import AuditEntry
from hub.taxii.media import TAXII_MEDIA_TYPE
from hub.taxii.router import API_ROOT
from tests.conftest import World
from tests.factories import indicator
from tests.taxii.helpers import collection_id

PG = "postgresql://hub@db.example/hub"


def _actions(world: World) -> list[str]:
    with world.db.session() as s:
        return list(s.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_on_by_default_and_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().audit_trail is True
    monkeypatch.setenv("HUB_AUDIT_TRAIL", "off")
    assert Settings().audit_trail is False


def test_production_refuses_it_off(tmp_path: Path) -> None:
    Settings(environment="production", database_url=PG, data_dir=tmp_path)  # on: accepted
    with pytest.raises(ValidationError, match="HUB_AUDIT_TRAIL=off"):
        Settings(environment="production", database_url=PG, data_dir=tmp_path, audit_trail=False)
    Settings(environment="development", audit_trail=False)  # measuring: allowed


def test_ingest_without_audit_records_nothing(world: World) -> None:
    scope = world.scope("ng-nctc")
    col = collection_id(world, "shared-exchange")
    before = _actions(world)  # (the tenants' identities were published, and recorded)
    status = ingest(world.db, Publisher(scope), col, [indicator(scope.identity_id)], audit=False)
    assert status.success_count == 1
    assert _actions(world) == before
    ingest(world.db, Publisher(scope), col, [indicator(scope.identity_id)])
    assert _actions(world) == [*before, "publish"]


def test_a_hub_with_the_trail_off_records_no_publish_read_or_delete(
    world: World, settings: Settings
) -> None:
    off = settings.model_copy(update={"audit_trail": False, "jobs_enabled": False})
    app = create_app(off, hub=Hub(off, database=world.db))
    me = world.scope("ng-nctc").identity_id
    obj = indicator(me)
    url = f"{API_ROOT}collections/{collection_id(world, 'shared-exchange')}/objects/"
    auth = world.creds("ng-nctc")  # (registering a client is recorded: before counting)
    headers = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}
    before = _actions(world)
    with (
        background_server(app, lifespan=True) as base,
        httpx.Client(base_url=base, auth=auth, headers=headers, timeout=30) as c,
    ):
        r = c.post(url, json={"objects": [obj]})
        assert r.status_code == 202 and r.json()["success_count"] == 1
        r = c.get(url)
        assert r.status_code == 200 and [o["id"] for o in r.json()["objects"]] == [obj["id"]]
        assert c.get(f"{url}{obj['id']}/").status_code == 200
        assert c.delete(f"{url}{obj['id']}/").status_code == 200
    assert _actions(world) == before
