"""Crypto-shredding: once a tenant's keys are destroyed its protected data is unrecoverable —
through the hub, and in the raw database file or a dump of it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from hub.crypto.context import ObjectContext
from hub.crypto.errors import DecryptionFailed
from hub.crypto.fields import decrypt_field, encrypt_field
from hub.crypto.kms_local import LocalKeyProvider
from hub.crypto.service import KeyService
from hub.crypto.tenant_keys import tenant_key_aad
from hub.store.db import Database
from hub.store.models import TenantKey as TenantKeyRow

pytestmark = pytest.mark.postgres

PLAINTEXT = "Cell leader alias SANDSTORM-7f3c9e, phone +227 90 00 00 00"


def _raw_bytes(db: Database) -> bytes:
    """Everything the database holds at rest: the SQLite files, or a pg_dump of the schema."""
    url = make_url(db.url)
    if db.dialect == "sqlite":
        path = Path(url.database or "")
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
        files = [path, *(path.with_name(path.name + s) for s in ("-wal", "-journal"))]
        return b"".join(p.read_bytes() for p in files if p.exists())
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not installed")
    with db.engine.connect() as conn:
        schema = conn.exec_driver_sql("SELECT current_schema()").scalar_one()
    cmd = [pg_dump, "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432)]
    cmd += ["-U", url.username or "postgres", "-n", schema, url.database or "test"]
    return subprocess.run(cmd, check=True, capture_output=True).stdout


def _forms(data: bytes) -> list[bytes]:
    """How bytes can appear in a file or a dump: raw, hex (bytea), base64 (JSON)."""
    import base64

    return [data, data.hex().encode(), base64.b64encode(data), base64.urlsafe_b64encode(data)]


def _seal(keys: KeyService, tenant: int) -> tuple[bytes, ObjectContext, str]:
    data_key, wrapped = keys.new_data_key(tenant)
    ctx = ObjectContext(tenant, "threat-actor--7c1f0e4e-0000-4000-8000-000000000001", "2026-11-01")
    return wrapped, ctx, encrypt_field(data_key, ctx.field("aliases"), PLAINTEXT)


def test_shredding_makes_data_unrecoverable(
    db: Database,
    keys: KeyService,
    make_tenant: Callable[[str], int],
    local_provider: LocalKeyProvider,
) -> None:
    tenant, bystander = make_tenant("leaving-cell"), make_tenant("staying-cell")
    keys.ensure_tenant_keys(tenant)
    wrapped, _, token = _seal(keys, tenant)
    b_wrapped, b_ctx, b_token = _seal(keys, bystander)

    # Store the ciphertext and wrapped data key the way a version would (in a JSON document).
    with db.write_session() as s:
        s.execute(
            sa.text("UPDATE tenant SET identity = :doc WHERE id = :id"),
            {"doc": f'{{"x_field": "{token}", "x_dek": "{wrapped.hex()}"}}', "id": tenant},
        )
    with db.session() as s:
        rows = s.execute(sa.select(TenantKeyRow).where(TenantKeyRow.tenant_id == tenant)).scalars()  # type: ignore[arg-type]
        secrets = {r.key_id: bytes(r.wrapped_key or b"") for r in rows}
    plain_keys = [
        local_provider.unwrap(w, tenant_key_aad(tenant, kid, "kek" if "-kek-" in kid else "root"))
        for kid, w in secrets.items()
    ]
    raw = _raw_bytes(db)
    assert PLAINTEXT.encode() not in raw  # never stored in the clear, even before shredding
    assert any(form in raw for w in secrets.values() for form in _forms(w))
    assert not any(form in raw for k in plain_keys for form in _forms(k))

    destroyed = keys.shred_tenant(tenant)
    assert sorted(destroyed) == sorted(secrets)

    # Through the hub, in this process and in a fresh one with the master key at hand:
    for service in (keys, KeyService(db, local_provider)):
        with pytest.raises(DecryptionFailed):
            service.open_data_key(tenant, wrapped)
        with pytest.raises(DecryptionFailed):
            service.tenant_root(tenant, next(k for k in secrets if "-root-" in k))
    # The rows are tombstones: no wrapped key, state destroyed.
    with db.session() as s:
        rows = list(
            s.execute(sa.select(TenantKeyRow).where(TenantKeyRow.tenant_id == tenant)).scalars()  # type: ignore[arg-type]
        )
    assert {(r.state, r.wrapped_key) for r in rows} == {("destroyed", None)}
    # At rest: neither the wrapped tenant keys nor the keys nor the plaintext are anywhere.
    raw = _raw_bytes(db)
    for data in [*secrets.values(), *plain_keys, PLAINTEXT.encode()]:
        for form in _forms(data):
            assert form not in raw
    # Another tenant is untouched.
    b_key = keys.open_data_key(bystander, b_wrapped)
    assert decrypt_field(b_key, b_ctx.field("aliases"), b_token) == PLAINTEXT
    # The shredded tenant can publish again, under new keys.
    fresh_key, _ = keys.new_data_key(tenant)
    assert fresh_key.tenant_id == tenant
    assert keys.tenant_key(tenant).key_id not in secrets


def test_shredding_reaches_other_processes_within_the_cache_ttl(
    db: Database,
    keys: KeyService,
    make_tenant: Callable[[str], int],
    local_provider: LocalKeyProvider,
) -> None:
    from tests.crypto.conftest import Clock

    tenant = make_tenant("cell")
    clock = Clock()
    other = KeyService(db, local_provider, cache_ttl=30.0, clock=clock)
    wrapped, ctx, token = _seal(keys, tenant)
    assert decrypt_field(other.open_data_key(tenant, wrapped), ctx.field("aliases"), token)
    keys.shred_tenant(tenant)
    clock.advance(31)
    with pytest.raises(DecryptionFailed):
        other.open_data_key(tenant, wrapped)
