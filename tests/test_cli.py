"""The operator's CLI, as an operator would use it: init twice, a bad tenants file, a dead DB."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.cli import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HUB_DATABASE_URL", f"sqlite:///{tmp_path}/hub.db")
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("HUB_TENANTS_DIR", str(Path(__file__).resolve().parent.parent / "tenants"))
    return tmp_path


def test_init_twice_is_harmless(env: Path) -> None:
    first = runner.invoke(app, ["init"])
    assert first.exit_code == 0, first.output
    assert "→ 0001" in first.output or "→" in first.output
    keyring = env / "var" / "keyring.json"
    assert stat.S_IMODE(keyring.stat().st_mode) == 0o600
    content = keyring.read_bytes()
    second = runner.invoke(app, ["init"])
    assert second.exit_code == 0
    assert "nothing to do" in second.output
    assert keyring.read_bytes() == content


def test_unreachable_database_fails_cleanly(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_DATABASE_URL", "postgresql://hub@127.0.0.1:1/hub")
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 1
    assert "error" in result.output.lower()
    assert "Traceback" not in result.output


def test_production_refuses_sqlite(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_ENVIRONMENT", "production")
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 2
    assert "SQLite" in result.output


def test_tenants_check_and_sync(env: Path, tenants_copy: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    ok = runner.invoke(app, ["tenants", "check", str(tenants_copy)])
    assert ok.exit_code == 0 and "valid" in ok.output
    synced = runner.invoke(app, ["tenants", "sync", str(tenants_copy)])
    assert synced.exit_code == 0, synced.output
    again = runner.invoke(app, ["tenants", "sync", str(tenants_copy)])
    assert "nothing changed" in again.output
    listed = runner.invoke(app, ["tenants", "list", "--json"])
    slugs = {t["slug"] for t in json.loads(listed.stdout)}
    assert {"ng-nctc", "interpol", "hub-operator"} <= slugs

    bad = tenants_copy / "ng-nctc.yaml"
    text = bad.read_text().replace("kind: national-cell", "kind: militia")
    bad.write_text(text)
    line = text.splitlines().index("kind: militia") + 1
    result = runner.invoke(app, ["tenants", "check", str(tenants_copy)])
    assert result.exit_code == 1
    assert f"{bad}:{line}: kind:" in result.output.replace("\n", "")


def test_tenants_schema_export(env: Path) -> None:
    out = env / "schema"
    result = runner.invoke(app, ["tenants", "schema", "--output", str(out)])
    assert result.exit_code == 0
    schema = json.loads((out / "tenant.schema.json").read_text())
    assert schema["title"] == "TenantSpec"
    assert os.path.exists(out / "collections.schema.json")
