"""Key operations on a running hub: tenant-key rotation under concurrent reads (rewrap job),
master-key rotation, crypto-shredding of a tenant, and the whole path on a PKCS#11 HSM."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from hub.jobs.runner import JobRunner
from hub.objects import keyops
from hub.objects.keyops import REWRAP_JOB, enqueue_rewrap, key_status, rewrap_handler, run_rewrap
from hub.objects.protection import FieldProtection, register, registered
from hub.runtime import Hub
from hub.settings import Settings
from hub.taxii.media import TAXII_MEDIA_TYPE
from tests.conftest import World
from tests.crypto.wiring_support import (
    SECRET_CASE,
    SECRET_DESCRIPTION,
    assert_absent,
    collection_id,
    publish,
    raw_bytes,
    read_objects,
    version_row,
)
from tests.factories import indicator

pytestmark = pytest.mark.postgres

POLICY: dict[str, Any] = {
    "tenant": "ng-nctc",
    "rules": [
        {
            "name": "ecowas-indicators",
            "effect": "share",
            "match": {"types": ["indicator"], "tlp": ["green", "amber"]},
            "recipients": {"communities": ["ecowas"]},
        }
    ],
}


def _indicators(world: World, n: int) -> list[dict[str, Any]]:
    me = world.scope("ng-nctc").identity_id
    return [
        indicator(
            me,
            tlp="green",
            description=f"{SECRET_DESCRIPTION} #{i}",
            external_references=[{"source_name": "ng-case", "external_id": f"{SECRET_CASE}-{i}"}],
        )
        for i in range(n)
    ]


def _protection(world: World) -> FieldProtection:
    protection = registered(world.db)
    assert protection is not None
    return protection


def test_rotation_under_concurrent_reads(world: World) -> None:
    world.apply_policy(POLICY)
    objs = _indicators(world, 60)
    publish(world, "ng-nctc", objs, "shared-exchange")
    fresh = _indicators(world, 1)  # published during the rotation
    base = {o["id"]: o["description"] for o in objs}
    expected = base | {fresh[0]["id"]: fresh[0]["description"]}
    keys = _protection(world).keys
    tid = world.scope("ng-nctc").tenant_id
    old = keys.tenant_key(tid).key_id
    url = f"/taxii2/hub/collections/{collection_id(world.db, 'shared-exchange')}/objects/"
    stop = threading.Event()
    failures: list[str] = []
    reads = [0]

    def reader(slug: str) -> None:
        cid, secret = world.creds(slug)
        with httpx.Client(
            base_url=world.url, auth=(cid, secret), headers={"Accept": TAXII_MEDIA_TYPE}
        ) as c:
            while not stop.is_set():
                r = c.get(url, params={"match[type]": "indicator", "limit": "100"})
                got = {o["id"]: o.get("description") for o in r.json().get("objects", [])}
                complete = all(got.get(i) == d for i, d in base.items())
                if (
                    r.status_code != 200
                    or not complete
                    or any(expected[i] != d for i, d in got.items())
                ):
                    failures.append(f"{slug}: {r.status_code} {len(got)} objects")
                reads[0] += 1

    for slug in ("ng-nctc", "gh-ctfc"):  # credentials first: creating them writes
        world.creds(slug)
    threads = [threading.Thread(target=reader, args=(s,)) for s in ("ng-nctc", "gh-ctfc") * 2]
    for t in threads:
        t.start()
    try:
        time.sleep(0.3)
        new = keys.rotate_tenant_key(tid).key_id
        publish(world, "ng-nctc", fresh, "shared-exchange")  # new writes use the new key at once
        assert version_row(world.db, fresh[0]["id"]).key_id == new
        job = enqueue_rewrap(world.db, tid, "ng-nctc", delay_s=0, destroy=True, created_by="t")
        runner = JobRunner(world.db, {REWRAP_JOB: rewrap_handler(keys, grace_s=0.5)})
        outcome = runner.run_job(job, timeout=60)
        done_at, deadline = reads[0], time.monotonic() + 30
        while (reads[0] < done_at + 4 or reads[0] < 8) and time.monotonic() < deadline:
            time.sleep(0.05)  # and reads go on once the old key is destroyed
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not failures, failures[:5]
    assert reads[0] >= 8
    assert outcome.state == "done", outcome.error
    assert outcome.result == {"tenant": "ng-nctc", "rewrapped": 60, "destroyed": [old]}
    (status,) = key_status(world.db, tid)
    assert status.active == new and status.retired == [] and status.destroyed == 1
    assert status.protected == 61 and status.needs_rewrap == 0
    (got,) = read_objects(world.db, "gh-ctfc", "shared-exchange", objs[0]["id"])
    assert got == objs[0]


def test_the_rewrap_job_resumes_where_it_stopped(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.apply_policy(POLICY)
    objs = _indicators(world, 9)
    publish(world, "ng-nctc", objs, "shared-exchange")
    keys = _protection(world).keys
    tid = world.scope("ng-nctc").tenant_id
    keys.rotate_tenant_key(tid)
    monkeypatch.setattr(keyops, "BATCH", 4)
    job = enqueue_rewrap(world.db, tid, "ng-nctc", delay_s=0, destroy=False, created_by="t")
    first = JobRunner(world.db, {})
    checks = [0]

    def interrupted(ctx: Any) -> dict[str, Any]:
        original = ctx.check

        def check() -> None:
            checks[0] += 1
            if checks[0] == 2:  # after the first batch: the process is being stopped
                first.stop(timeout=0)
            original()

        ctx.check = check
        return run_rewrap(ctx, keys, grace_s=0)

    first.handlers[REWRAP_JOB] = interrupted
    assert first.run_once() is not None
    (status,) = key_status(world.db, tid)
    assert status.needs_rewrap == 5  # 4 done, then handed back
    outcome = JobRunner(world.db, {REWRAP_JOB: rewrap_handler(keys, grace_s=0)}).run_job(job)
    assert outcome.state == "done" and outcome.result is not None
    assert outcome.result["rewrapped"] == 9 and outcome.result["destroyed"] == []
    (status,) = key_status(world.db, tid)
    assert status.needs_rewrap == 0 and len(status.retired) == 1
    assert [o["description"] for o in read_objects(world.db, "gh-ctfc", "shared-exchange")] == [
        o["description"] for o in objs
    ]


def test_master_key_rotation_keeps_every_object_readable(world: World) -> None:
    world.apply_policy(POLICY)
    objs = _indicators(world, 3)
    publish(world, "ng-nctc", objs, "shared-exchange")
    keys = _protection(world).keys
    rotation = keys.rotate_master_key()
    assert rotation.new_key_id != rotation.old_key_id and rotation.rewrapped >= 2
    keys.forget()
    with world.db.session() as s:
        masters = set(s.execute(sa.text("SELECT master_key_id FROM tenant_key")).scalars())
    assert masters == {rotation.new_key_id}
    assert read_objects(world.db, "gh-ctfc", "shared-exchange") == objs


def test_shredding_a_tenant_serves_its_objects_without_protected_fields(world: World) -> None:
    world.apply_policy(POLICY)
    objs = _indicators(world, 3)
    publish(world, "ng-nctc", objs, "shared-exchange")
    ciphertexts = [
        v for o in objs for v in json.loads(version_row(world.db, o["id"]).sealed).values()
    ]
    keys = _protection(world).keys
    tid = world.scope("ng-nctc").tenant_id
    destroyed, cleared = keyops.shred_tenant(world.db, keys, tid)
    assert len(destroyed) == 2 and cleared == 3
    for reader in ("ng-nctc", "gh-ctfc"):
        got = read_objects(world.db, reader, "shared-exchange")
        assert [o["id"] for o in got] == [o["id"] for o in objs]
        assert all("description" not in o and "external_references" not in o for o in got)
    row = version_row(world.db, objs[0]["id"])
    assert row.sealed is None and row.wrapped_key is None and row.mac is None
    descriptions = [o["description"] for o in objs]
    assert_absent(raw_bytes(world.db), [*descriptions, *ciphertexts])
    again = keyops.shred_tenant(world.db, keys, tid)  # idempotent
    assert again == ([], 0)
    # The tenant can publish again, under fresh keys.
    more = _indicators(world, 1)
    publish(world, "ng-nctc", more, "shared-exchange")
    assert read_objects(world.db, "gh-ctfc", "shared-exchange", more[0]["id"]) == more


@pytest.fixture
def hsm_world(world: World, softhsm: dict[str, str], settings: Settings) -> Iterator[World]:
    """The live hub with its key service on a SoftHSM2 token (restored afterwards)."""
    previous = registered(world.db)
    hsm_settings = settings.model_copy(
        update={
            "kms_provider": "pkcs11",
            "pkcs11_library": softhsm["library"],
            "pkcs11_token_label": softhsm["token_label"],
            "pkcs11_pin": SecretStr(softhsm["pin"]),
            "pkcs11_key_label": "fh-wiring-master",
        }
    )
    with world.db.write_session() as s:  # the tenants' keys were made under the keyring's key
        s.execute(sa.text("DELETE FROM tenant_key"))
    hub = Hub(hsm_settings, database=world.db)  # registers itself for the live server too
    provider = hub.keys.provider
    ensure = getattr(provider, "ensure_key")  # noqa: B009 - Pkcs11KeyProvider only
    ensure()
    try:
        yield world
    finally:
        if previous is not None:
            register(world.db, previous)


def test_the_whole_path_on_a_pkcs11_hsm(hsm_world: World) -> None:
    world = hsm_world
    world.apply_policy(POLICY)
    objs = _indicators(world, 2)
    cid, secret = world.creds("ng-nctc")
    url = f"/taxii2/hub/collections/{collection_id(world.db, 'shared-exchange')}/objects/"
    headers = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}
    with httpx.Client(base_url=world.url, auth=(cid, secret), headers=headers) as c:
        assert c.post(url, json={"objects": objs}).status_code == 202
    keys = _protection(world).keys
    assert keys.provider.name == "pkcs11"
    master = keys.provider.key_id
    with world.db.session() as s:
        wrapped_by = set(s.execute(sa.text("SELECT master_key_id FROM tenant_key")).scalars())
    assert master in wrapped_by
    gid, gsecret = world.creds("gh-ctfc")
    with httpx.Client(base_url=world.url, auth=(gid, gsecret), headers=headers) as c:
        got = c.get(url, params={"match[type]": "indicator"}).json()["objects"]
    assert got == objs
    rotation = keys.rotate_master_key()  # a new key in the token; tenant keys rewrapped
    keys.forget()
    assert rotation.old_key_id == master and rotation.rewrapped >= 2
    assert read_objects(world.db, "gh-ctfc", "shared-exchange") == objs
    assert_absent(raw_bytes(world.db), [o["description"] for o in objs])


def test_the_hubs_own_job_runner_runs_a_queued_rewrap(world: World) -> None:
    """A rotation queued by `fusion-hub keys rotate` is finished by any hub process's runner."""
    from hub.jobs.handlers import default_handlers

    world.apply_policy(POLICY)
    objs = _indicators(world, 3)
    publish(world, "ng-nctc", objs, "shared-exchange")
    tid = world.scope("ng-nctc").tenant_id
    _protection(world).keys.rotate_tenant_key(tid)
    job = enqueue_rewrap(world.db, tid, "ng-nctc", delay_s=0, destroy=False, created_by="t")
    outcome = JobRunner(world.db, default_handlers()).run_job(job)
    assert outcome.state == "done" and outcome.result is not None
    assert outcome.result["rewrapped"] == 3
    (status,) = key_status(world.db, tid)
    assert status.needs_rewrap == 0
    assert [o["description"] for o in read_objects(world.db, "gh-ctfc", "shared-exchange")] == [
        o["description"] for o in objs
    ]
