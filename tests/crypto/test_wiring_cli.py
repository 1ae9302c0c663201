"""`fusion-hub init`, `keys …` and `decrypt` as an operator runs them (an embedded hub)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from hub.cli import app
from hub.objects.ingest import Publisher, ingest
from hub.runtime import Hub
from hub.settings import Settings
from hub.store.models import Collection
from hub.tenancy.service import tenant_scope_for_cli
from tests.crypto.wiring_support import SECRET_DESCRIPTION, assert_absent, raw_bytes
from tests.factories import indicator

runner = CliRunner()
TENANTS = Path(__file__).resolve().parents[2] / "tenants"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HUB_DATABASE_URL", f"sqlite:///{tmp_path}/hub.db")
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("HUB_TENANTS_DIR", str(TENANTS))
    monkeypatch.setenv("HUB_KEY_CACHE_TTL", "1")
    return tmp_path


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _publish(n: int) -> list[dict[str, Any]]:
    hub = Hub(Settings())
    try:
        scope = tenant_scope_for_cli(hub.db, "ng-nctc")
        objs = [
            indicator(scope.identity_id, tlp="green", description=f"{SECRET_DESCRIPTION} {i}")
            for i in range(n)
        ]
        with hub.db.session() as s:
            cid = s.scalars(
                sa.select(Collection.id).where(Collection.alias == "ng-nctc-workspace")
            ).one()
        status = ingest(hub.db, Publisher(scope), cid, objs)
        assert status.failure_count == 0
        return objs
    finally:
        hub.close()


def _status() -> dict[str, Any]:
    return json.loads(_ok("keys", "status", "--json", "--tenant", "ng-nctc"))  # type: ignore[no-any-return]


def test_operator_rotates_and_shreds(env: Path) -> None:
    assert "master key: mk-" in _ok("init")
    _ok("tenants", "sync")
    st = _status()["tenants"][0]
    assert st["active_key"].startswith("t") and st["protected_versions"] == 0  # made at sync
    _publish(5)
    old = _status()["tenants"][0]["active_key"]
    out = _ok("keys", "rotate", "--tenant", "ng-nctc", "--no-wait")
    assert "rewrapped 5 data keys" in out and f"destroyed: {old}" in out
    st = _status()["tenants"][0]
    assert st["active_key"] != old and st["versions_to_rewrap"] == 0 and st["destroyed_keys"] == 1

    queued = _ok("keys", "rotate", "--tenant", "ng-nctc", "--queue-only", "--keep-retired")
    assert "rewrap job" in queued and _status()["tenants"][0]["versions_to_rewrap"] == 5
    assert "rewrapped 5 data keys; destroyed: none" in _ok("keys", "rewrap", "--tenant", "ng-nctc")

    rotated = _ok("keys", "rotate-master", "--retire")
    assert "destroyed master key" in rotated
    master = json.loads(_ok("keys", "status", "--json"))["master"]
    assert len(master["keys"]) == 1

    out = _ok("keys", "shred", "--tenant", "ng-nctc", "--yes")
    assert "versions cleared" in out
    st = _status()["tenants"][0]
    assert st["active_key"] is None and st["protected_versions"] == 0
    hub = Hub(Settings())
    try:
        assert_absent(raw_bytes(hub.db), [f"{SECRET_DESCRIPTION} {i}" for i in range(5)])
    finally:
        hub.close()


def test_master_key_from_the_environment(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = base64.b64encode(os.urandom(32)).decode()
    monkeypatch.setenv("HUB_MASTER_KEY", first)
    assert "master key: env-" in _ok("init")
    _ok("tenants", "sync")
    objs = _publish(2)
    second = base64.b64encode(os.urandom(32)).decode()
    monkeypatch.setenv("HUB_MASTER_KEY", second)
    monkeypatch.setenv("HUB_PREVIOUS_MASTER_KEYS", first)
    out = _ok("keys", "rotate-master")
    assert "rewrapped 20 tenant keys" in out  # 10 tenants: key and root
    monkeypatch.delenv("HUB_PREVIOUS_MASTER_KEYS")  # the old key is gone: reads still work
    from tests.crypto.wiring_support import read_objects

    hub = Hub(Settings())
    try:
        got = read_objects(hub.db, "ng-nctc", "ng-nctc-workspace")
    finally:
        hub.close()
    assert [o["description"] for o in got] == [o["description"] for o in objs]


def test_init_creates_the_master_key_in_the_hsm(
    env: Path, softhsm: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_KMS_PROVIDER", "pkcs11")
    monkeypatch.setenv("HUB_PKCS11_LIBRARY", softhsm["library"])
    monkeypatch.setenv("HUB_PKCS11_TOKEN_LABEL", softhsm["token_label"])
    monkeypatch.setenv("HUB_PKCS11_PIN", softhsm["pin"])
    monkeypatch.setenv("HUB_PKCS11_KEY_LABEL", f"fh-cli-{env.name[-8:]}")
    out = _ok("init")
    assert "(pkcs11)" in out
    assert _ok("init").count("master key") == 1  # harmless twice: the same key
    _ok("tenants", "sync")
    _publish(1)
    assert _status()["master"]["provider"] == "pkcs11"


def test_decrypt_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    (tmp_path / "obj.json").write_text("not json")
    (tmp_path / "k.jwk").write_text("{}")
    bad = runner.invoke(app, ["decrypt", str(tmp_path / "obj.json"), "--key", "{}"])
    assert bad.exit_code == 2
    plain = {"type": "indicator", "id": "indicator--1"}
    (tmp_path / "obj.json").write_text(json.dumps(plain))
    key = runner.invoke(app, ["decrypt", str(tmp_path / "obj.json"), "--key", "{}"])
    assert key.exit_code == 2  # not a usable private JWK
