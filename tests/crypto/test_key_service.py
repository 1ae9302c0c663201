"""The key service on a real database: tenant keys, data keys, caching, rotation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from hub.crypto.context import ObjectContext
from hub.crypto.envelope import parse
from hub.crypto.errors import DecryptionFailed, KeyStateError
from hub.crypto.fields import decrypt_field, encrypt_field
from hub.crypto.kms_local import LocalKeyProvider
from hub.crypto.service import KeyService
from hub.store.db import Database
from hub.store.models import TenantKey as TenantKeyRow
from tests.crypto.conftest import Clock

pytestmark = pytest.mark.postgres

MakeTenant = Callable[[str], int]


def _ctx(tenant: int, n: int = 1) -> ObjectContext:
    return ObjectContext(
        tenant, f"indicator--{n:08d}-0000-4000-8000-000000000000", "2026-11-01T10:00:00.000Z"
    )


def _rows(db: Database, tenant: int) -> list[TenantKeyRow]:
    with db.session() as s:
        stmt = (
            sa.select(TenantKeyRow)
            .where(TenantKeyRow.tenant_id == tenant)
            .order_by(TenantKeyRow.id)
        )  # type: ignore[arg-type]
        return list(s.execute(stmt).scalars())


def test_tenant_key_is_created_once_stored_wrapped_and_cached(
    db: Database, keys: KeyService, make_tenant: MakeTenant, local_provider: LocalKeyProvider
) -> None:
    tenant = make_tenant("ke-nctc")
    first = keys.tenant_key(tenant)
    assert keys.tenant_key(tenant) is first
    rows = _rows(db, tenant)
    assert [(r.purpose, r.state, r.key_id) for r in rows] == [("kek", "active", first.key_id)]
    assert rows[0].master_key_id == local_provider.key_id
    assert (
        rows[0].wrapped_key is not None and parse(rows[0].wrapped_key).kid == local_provider.key_id
    )
    # Another process sees the same key.
    other = KeyService(db, local_provider)
    assert other.tenant_key(tenant).key_id == first.key_id


def test_data_keys_round_trip_through_storage(
    db: Database, keys: KeyService, make_tenant: MakeTenant, local_provider: LocalKeyProvider
) -> None:
    tenant = make_tenant("ng-nctc")
    data_key, wrapped = keys.new_data_key(tenant)
    assert isinstance(wrapped, bytes) and parse(wrapped).kid == keys.tenant_key(tenant).key_id
    ctx = _ctx(tenant).field("description")
    token = keys.encrypt_field(data_key, ctx, {"where": "Maiduguri"})
    fresh = KeyService(db, local_provider)
    opened = fresh.open_data_key(tenant, wrapped)
    assert opened.kid == data_key.kid
    assert fresh.decrypt_field(opened, ctx, token) == {"where": "Maiduguri"}


def test_a_wrapped_data_key_belongs_to_its_tenant(
    keys: KeyService, make_tenant: MakeTenant
) -> None:
    a, b = make_tenant("a"), make_tenant("b")
    keys.tenant_key(b)
    _, wrapped = keys.new_data_key(a)
    with pytest.raises(DecryptionFailed):
        keys.open_data_key(b, wrapped)
    tampered = bytearray(wrapped)
    tampered[-1] ^= 1
    with pytest.raises(DecryptionFailed):
        keys.open_data_key(a, bytes(tampered))
    with pytest.raises(DecryptionFailed):
        keys.open_data_key(a, b"garbage")


def test_rotation_new_writes_use_new_key_old_data_stays_readable(
    db: Database, keys: KeyService, make_tenant: MakeTenant, local_provider: LocalKeyProvider
) -> None:
    tenant = make_tenant("ml-cnlt")
    old_key = keys.tenant_key(tenant)
    data_key, old_wrapped = keys.new_data_key(tenant)
    ctx = _ctx(tenant).field("name")
    token = encrypt_field(data_key, ctx, "old secret")

    new_key = keys.rotate_tenant_key(tenant)
    assert new_key.key_id != old_key.key_id
    states = {r.key_id: r.state for r in _rows(db, tenant)}
    assert states == {old_key.key_id: "retired", new_key.key_id: "active"}
    # New writes use the new key at once.
    _, new_wrapped = keys.new_data_key(tenant)
    assert parse(new_wrapped).kid == new_key.key_id
    # Old data is readable during the rotation, here and in a fresh process.
    assert keys.needs_rewrap(tenant, old_wrapped) and not keys.needs_rewrap(tenant, new_wrapped)
    for service in (keys, KeyService(db, local_provider)):
        assert decrypt_field(service.open_data_key(tenant, old_wrapped), ctx, token) == "old secret"
    # The job's step: rewrap, the data key (and so every field ciphertext) is unchanged.
    rewrapped = keys.rewrap_data_key(tenant, old_wrapped)
    assert parse(rewrapped).kid == new_key.key_id
    assert keys.rewrap_data_key(tenant, rewrapped) == rewrapped
    assert decrypt_field(keys.open_data_key(tenant, rewrapped), ctx, token) == "old secret"
    # The active key cannot be destroyed; the retired one can, once rewrap is complete.
    with pytest.raises(KeyStateError):
        keys.destroy_key(tenant, new_key.key_id)
    keys.destroy_key(tenant, old_key.key_id)
    with pytest.raises(DecryptionFailed):
        keys.open_data_key(tenant, old_wrapped)
    assert decrypt_field(keys.open_data_key(tenant, rewrapped), ctx, token) == "old secret"


def test_rotation_elsewhere_is_seen_after_the_cache_ttl(
    db: Database,
    keys: KeyService,
    make_tenant: MakeTenant,
    local_provider: LocalKeyProvider,
    clock: Clock,
) -> None:
    tenant = make_tenant("so-ctfc")
    before = keys.tenant_key(tenant).key_id
    other = KeyService(db, local_provider)
    after = other.rotate_tenant_key(tenant).key_id
    assert keys.tenant_key(tenant).key_id == before  # cached
    clock.advance(keys.cache_ttl + 1)
    assert keys.tenant_key(tenant).key_id == after


def test_concurrent_first_use_yields_one_key(
    db: Database, make_tenant: MakeTenant, local_provider: LocalKeyProvider
) -> None:
    tenant = make_tenant("gh-ctfc")
    a, b = KeyService(db, local_provider), KeyService(db, local_provider)
    # b inserts first; a, which had not seen it, races into the unique index and adopts it.
    kid_b = b.tenant_key(tenant).key_id
    kid_a = a._create(tenant, "kek")
    assert kid_a == kid_b
    assert len([r for r in _rows(db, tenant) if r.state == "active" and r.purpose == "kek"]) == 1


def test_master_rotation_rewraps_tenant_keys_only(
    db: Database, keys: KeyService, make_tenant: MakeTenant, local_provider: LocalKeyProvider
) -> None:
    tenants = [make_tenant(f"cell-{i}") for i in range(3)]
    stored = []
    for t in tenants:
        keys.ensure_tenant_keys(t)
        data_key, wrapped = keys.new_data_key(t)
        ctx = _ctx(t).field("name")
        stored.append((t, wrapped, ctx, encrypt_field(data_key, ctx, f"secret of {t}")))
    old_master = local_provider.key_id
    before = {r.key_id: bytes(r.wrapped_key or b"") for t in tenants for r in _rows(db, t)}

    rotation = keys.rotate_master_key()
    assert rotation.old_key_id == old_master and rotation.new_key_id == local_provider.key_id
    assert rotation.rewrapped == 2 * len(tenants)
    rows = [r for t in tenants for r in _rows(db, t)]
    assert {r.master_key_id for r in rows} == {rotation.new_key_id}
    assert all(bytes(r.wrapped_key or b"") != before[r.key_id] for r in rows)
    assert keys.rewrap_tenant_keys() == 0  # idempotent
    # Data keys were not touched and still open, in a process that never saw the old wrapping.
    fresh = KeyService(db, local_provider)
    for t, wrapped, ctx, token in stored:
        assert decrypt_field(fresh.open_data_key(t, wrapped), ctx, token) == f"secret of {t}"
    # Then the old master key can go.
    keys.retire_master_key(old_master)
    assert old_master not in local_provider.key_ids()


def test_old_master_key_cannot_go_while_it_wraps_keys(
    keys: KeyService, make_tenant: MakeTenant, local_provider: LocalKeyProvider
) -> None:
    tenant = make_tenant("ne-cclt")
    keys.tenant_key(tenant)
    old = local_provider.key_id
    local_provider.rotate()  # rotated in the KMS, but the rewrap has not run
    with pytest.raises(KeyStateError, match="still wrapped"):
        keys.retire_master_key(old)
    assert keys.rewrap_tenant_keys() == 1
    keys.retire_master_key(old)


def test_row_macs_and_blind_indexes_survive_tenant_key_rotation(
    keys: KeyService, make_tenant: MakeTenant
) -> None:
    from hub.crypto.blind_index import BlindIndex, FieldKind

    tenant = make_tenant("cted")
    index = BlindIndex("identity.email", FieldKind.EMAIL, 20)
    fields = {"object_id": "report--1", "version": "v1", "tlp": "amber"}
    mac = keys.row_mac(tenant, fields)
    value = keys.blind_index(tenant, index, "Analyst@Example.org")
    keys.rotate_tenant_key(tenant)
    keys.verify_row_mac(tenant, fields, mac)
    assert keys.blind_index(tenant, index, "analyst@example.org") == value


def test_a_row_mac_of_one_tenant_does_not_verify_for_another(
    keys: KeyService, make_tenant: MakeTenant
) -> None:
    a, b = make_tenant("a"), make_tenant("b")
    fields = {"object_id": "report--1", "version": "v1", "tlp": "red"}
    mac = keys.row_mac(a, fields)
    keys.ensure_tenant_keys(b)
    with pytest.raises(DecryptionFailed):
        keys.verify_row_mac(b, fields, mac)
    with pytest.raises(DecryptionFailed):
        keys.verify_row_mac(a, {**fields, "tlp": "clear"}, mac)
