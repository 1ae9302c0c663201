"""The audit trail records what happens through the TAXII endpoints, as it happens."""

from __future__ import annotations

import httpx
import sqlalchemy as sa

from hub.app import create_app
from hub.runtime import Hub
from hub.server import background_server
from hub.settings import Settings
from hub.store.models import AuditEntry
from hub.taxii.media import TAXII_MEDIA_TYPE
from tests.conftest import World
from tests.factories import indicator
from tests.taxii.helpers import client, objects_url, post


def _entries(world: World, action: str) -> list[AuditEntry]:
    with world.db.session() as s:
        return list(
            s.scalars(
                sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
            )
        )


def test_publish_and_read_are_recorded_with_their_versions(world: World) -> None:
    me = world.scope("ng-nctc").identity_id
    good, bad = indicator(me), indicator(me, pattern="[broken")
    url = objects_url(world, "shared-exchange")
    with client(world, "ng-nctc") as c:
        post(c, url, [good, bad])
        cid = world.creds("ng-nctc")[0]
    (publish,) = [e for e in _entries(world, "publish") if e.actor_tenant == "ng-nctc"]
    assert publish.actor_client == cid
    assert publish.outcome == "partial"
    assert [o[0] for o in publish.objects] == [good["id"]]
    with client(world, "gh-ctfc") as c:
        assert c.get(url, params={"match[type]": "indicator"}).status_code == 200
        c.get(url, params={"match[type]": "malware"})  # returns nothing: no entry
    reads = [e for e in _entries(world, "read") if e.actor_tenant == "gh-ctfc"]
    assert len(reads) == 1
    assert [o[0] for o in reads[0].objects] == [good["id"]]


def test_failed_logins_are_recorded(world: World, settings: Settings) -> None:
    quiet = settings.model_copy(update={"jobs_enabled": False})
    app = create_app(quiet, hub=Hub(quiet, database=world.db))
    with background_server(app, lifespan=True) as url:
        cid, _ = world.creds("ng-nctc")
        r = httpx.get(f"{url}/taxii2/", auth=(cid, "wrong"), headers={"Accept": TAXII_MEDIA_TYPE})
        assert r.status_code == 401
    failures = _entries(world, "auth.failure")
    assert any(e.actor_client == cid or cid in str(e.details) for e in failures)
