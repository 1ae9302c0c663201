"""`fusion-hub audit …`: exit codes 0 (intact), 1 (tampered or failed), 2 (configuration)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.audit import CheckpointSigner
from hub.cli import app
from hub.crypto.keyring import LocalKeyring
from hub.store.db import Database
from tests.audit.helpers import fill, set_column


@pytest.fixture
def cli(
    db: Database, database_url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> CliRunner:
    monkeypatch.setenv("HUB_DATABASE_URL", database_url)
    monkeypatch.setenv("HUB_DATA_DIR", str(data_dir))
    return CliRunner()


def test_verify_exit_codes(cli: CliRunner, db: Database, tmp_path: Path) -> None:
    fill(db, 6)
    ok = cli.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "intact" in ok.output
    set_column(db, 4, actor_tenant="forger")
    bad = cli.invoke(app, ["audit", "verify"])
    assert bad.exit_code == 1 and "first bad sequence number 4" in bad.output
    as_json = cli.invoke(app, ["audit", "verify", "--json"])
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["first_bad_seq"] == 4
    (tmp_path / "key.pem").write_text("not a key")
    assert (
        cli.invoke(app, ["audit", "verify", "--public-key", str(tmp_path / "key.pem")]).exit_code
        == 2
    )


def test_verify_without_a_keyring_is_a_configuration_error(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path / "empty"))
    result = cli.invoke(app, ["audit", "verify"])
    assert result.exit_code == 2 and "signing key unavailable" in result.output


def test_checkpoint_then_verify_with_kept_checkpoints_and_a_pinned_key(
    cli: CliRunner, db: Database, data_dir: Path, tmp_path: Path
) -> None:
    fill(db, 3)
    made = cli.invoke(app, ["audit", "checkpoint"])
    assert made.exit_code == 0, made.output
    kept = tmp_path / "checkpoints.jsonl"
    kept.write_text(json.dumps(json.loads(made.stdout)) + "\n")
    pem = cli.invoke(app, ["audit", "public-key"])
    (tmp_path / "hub.pem").write_text(pem.stdout)
    key = CheckpointSigner.from_keyring(LocalKeyring.create_or_open(data_dir)).public
    assert key.pem() == pem.stdout
    args = [
        "audit",
        "verify",
        "--checkpoints",
        str(kept),
        "--public-key",
        str(tmp_path / "hub.pem"),
    ]
    assert cli.invoke(app, args).exit_code == 0


def test_query_and_prune(cli: CliRunner, db: Database) -> None:
    fill(db, 4)
    table = cli.invoke(app, ["audit", "query", "--limit", "2"])
    assert table.exit_code == 0 and "read" in table.stdout
    lines = cli.invoke(app, ["audit", "query", "--format", "jsonl", "--limit", "3"])
    assert [json.loads(x)["seq"] for x in lines.stdout.splitlines()] == [1, 2, 3, 4]
    assert cli.invoke(app, ["audit", "query", "--object", "x", "--policy"]).exit_code == 2
    assert cli.invoke(app, ["audit", "query", "--as-tenant", "nobody"]).exit_code == 2
    assert cli.invoke(app, ["audit", "prune"]).exit_code == 2  # no retention configured
    pruned = cli.invoke(app, ["audit", "prune", "--days", "30"])
    assert pruned.exit_code == 0 and "nothing older" in pruned.output
