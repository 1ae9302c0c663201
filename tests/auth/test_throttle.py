"""The sliding window of failures, and the bounded caches behind cheap authentication."""

from __future__ import annotations

import sqlalchemy as sa

from hub.auth.clients import revoke_client
from hub.auth.directory import ClientDirectory, VerifiedSecrets
from hub.auth.throttle import SlidingWindow
from hub.store.models import ApiClient
from tests.conftest import World


def test_sliding_window() -> None:
    now = [0.0]
    w = SlidingWindow(3, 60, clock=lambda: now[0])
    for t in (0, 10, 20):
        now[0] = t
        assert w.retry_after("k") is None
        w.failure("k")
    assert w.retry_after("k") == 40  # until the failure at t=0 leaves the window
    assert w.retry_after("other") is None
    now[0] = 60.5
    assert w.retry_after("k") is None  # the window slid
    w.failure("k")
    assert w.retry_after("k") == 10


def test_window_memory_is_bounded() -> None:
    w = SlidingWindow(2, 60, max_keys=100)
    for i in range(1000):
        w.failure(f"addr:{i}")
        w.failure(f"addr:{i}")
    assert len(w._hits) == 100
    assert all(len(d) <= 2 for d in w._hits.values())


def test_revocation_elsewhere_is_seen_within_the_refresh_interval(world: World) -> None:
    cid, _ = world.creds("ng-nctc", ("taxii:read",))
    now = [0.0]
    directory = ClientDirectory(world.db, ttl=5, clock=lambda: now[0])
    record = directory.get(cid)
    assert record is not None and record.active
    with world.db.write_session() as s:  # another process revokes: no in-process notice
        s.execute(
            sa.update(ApiClient).where(ApiClient.client_id == cid).values(revoked_at=sa.func.now())
        )
    now[0] = 4.9
    assert directory.get(cid).active  # type: ignore[union-attr]
    now[0] = 5.0
    assert not directory.get(cid).active  # type: ignore[union-attr]


def test_revocation_in_this_process_is_immediate(world: World) -> None:
    cid, secret = world.creds("ng-nctc", ("taxii:read",))
    directory = ClientDirectory(world.db, ttl=3600)
    verified = VerifiedSecrets(ttl=3600)
    record = directory.get(cid)
    assert record is not None and record.secret_hash
    verified.remember(cid, secret, record.secret_hash)
    revoke_client(world.db, cid)
    assert not directory.get(cid).active  # type: ignore[union-attr]
    assert not verified.hit(cid, secret, record.secret_hash)


def test_verified_secrets_expire_and_follow_the_stored_hash() -> None:
    now = [0.0]
    v = VerifiedSecrets(ttl=60, clock=lambda: now[0])
    v.remember("c", "s3cret", "hash-1")
    assert v.hit("c", "s3cret", "hash-1")
    assert not v.hit("c", "other", "hash-1")
    assert not v.hit("d", "s3cret", "hash-1")
    assert not v.hit("c", "s3cret", "hash-2")  # the secret was rotated
    v.remember("c", "s3cret", "hash-1")
    now[0] = 60
    assert not v.hit("c", "s3cret", "hash-1")
    assert all(b"s3cret" not in key[1] for key in v._entries)
