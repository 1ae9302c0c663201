"""`fusion-hub policy …` and `fusion-hub jobs …` as a policy officer and an operator use them,
against a temporary SQLite hub."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from hub.cli import app
from hub.objects.ingest import Publisher, ingest
from hub.store.db import Database
from hub.store.models import Collection
from hub.tenancy.service import tenant_scope_for_cli
from tests.conftest import EXAMPLE_TENANTS, REPO
from tests.factories import indicator

runner = CliRunner()
POLICIES = len(list((REPO / "policies").glob("*.yaml")))
EXT_REFS = [{"source_name": "ng-nctc-case-files", "external_id": "NG-CT-2026-0042"}]


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An initialised hub with the example tenants and a copy of the example policies."""
    policies = tmp_path / "policies"
    shutil.copytree(REPO / "policies", policies)
    monkeypatch.setenv("HUB_DATABASE_URL", f"sqlite:///{tmp_path}/hub.db")
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("HUB_TENANTS_DIR", str(EXAMPLE_TENANTS))
    monkeypatch.setenv("HUB_POLICIES_DIR", str(policies))
    for args in (["init"], ["tenants", "sync"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    return policies


def _publish(tmp: Path, *objects: dict[str, Any]) -> None:
    db = Database(f"sqlite:///{tmp}/hub.db")
    try:
        with db.session() as s:
            shared = s.scalars(
                sa.select(Collection.id).where(Collection.alias == "shared-exchange")
            )
            collection = str(shared.one())
        status = ingest(db, Publisher(tenant_scope_for_cli(db, "ng-nctc")), collection, objects)
        assert status.success_count == len(objects)
    finally:
        db.dispose()


def _ok(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_check_preview_apply_show_history_explain(hub: Path) -> None:
    db = Database(f"sqlite:///{hub.parent}/hub.db")
    try:
        me = tenant_scope_for_cli(db, "ng-nctc").identity_id
    finally:
        db.dispose()
    obj = indicator(me, tlp="green", confidence=80, external_references=EXT_REFS)
    _publish(hub.parent, obj)
    policy = hub / "ng-nctc.yaml"

    assert "ng-nctc" in _ok("policy", "check", str(policy)).output
    bad = hub.parent / "ng-nctc.yaml"
    bad.write_text(policy.read_text().replace("external_references: redact", "pattern: redact"))
    result = runner.invoke(app, ["policy", "check", str(bad)])
    assert result.exit_code == 1
    assert "rules[7] (interpol-indicators).fields.pattern" in result.output
    assert f"{bad}:" in result.output and "nothing was applied" in result.output
    assert runner.invoke(app, ["policy", "apply", str(bad)]).exit_code == 1

    preview = json.loads(_ok("policy", "preview", str(policy), "--json").stdout)
    impact = {r["tenant"]: r for r in preview["recipients"]}
    assert impact["gh-ctfc"]["gain"]["ids"] == [obj["id"]]
    assert impact["interpol"]["gain"]["ids"] == [obj["id"]]
    assert impact["cted"]["gain"]["count"] == 0
    assert "gh-ctfc" in _ok("policy", "preview", str(policy)).output  # the table

    applied = _ok("policy", "apply", str(policy), "--comment", "from the repository")
    assert "version 1 in force" in applied.output
    assert "identical to version 1" in _ok("policy", "apply", str(policy)).output

    shown = _ok("policy", "show", "ng-nctc")
    assert "- name: interpol-indicators" in shown.stdout and "version 1 by cli:" in shown.output
    history = json.loads(_ok("policy", "history", "ng-nctc", "--json").stdout)
    (v1,) = history["items"]
    assert v1["author"].startswith("cli:") and v1["comment"] == "from the repository"
    assert "+- name: ecowas-indicators" in _ok("policy", "history", "ng-nctc").stdout

    explained = _ok("policy", "explain", obj["id"], "interpol")
    assert "interpol GETS" in explained.stdout and "interpol-indicators" in explained.stdout
    assert "field external_references: redact" in explained.stdout
    assert "grant stored, in force" in explained.output
    whole = json.loads(_ok("policy", "explain", obj["id"], "gh-ctfc", "--json").stdout)
    assert whole["explanations"][0]["decision"]["fields"] == {}
    absent = "indicator--00000000-0000-4000-8000-000000000000"
    assert runner.invoke(app, ["policy", "explain", absent, "interpol"]).exit_code == 1


def test_sync_is_all_or_nothing_and_jobs_can_wait(hub: Path) -> None:
    broken = hub / "ml-cnlt.yaml"
    original = broken.read_text()
    broken.write_text(original.replace("communities: [sahel]", "communities: [atlantis]", 1))
    result = runner.invoke(app, ["policy", "sync"])
    assert result.exit_code == 1 and "unknown community 'atlantis'" in result.output
    assert "never applied" in _ok("policy", "history", "ng-nctc").output  # nothing was applied
    broken.write_text(original)

    queued = _ok("policy", "sync", "--no-wait")
    assert "ng-nctc: version 1" in queued.output
    jobs = json.loads(_ok("jobs", "list", "--json").stdout)
    assert len(jobs) == POLICIES and {j["state"] for j in jobs} == {"queued"}
    ran = _ok("jobs", "run-once")
    assert ran.output.count(": done") == POLICIES
    assert "no job ready" in _ok("jobs", "run-once").output
    jobs = json.loads(_ok("jobs", "list", "--json", "--state", "done").stdout)
    assert len(jobs) == POLICIES and all(
        j["progress"]["done"] == j["progress"]["total"] for j in jobs
    )
    assert "nothing changed" in _ok("policy", "sync").output
    assert "kind" in _ok("jobs", "list").output  # the table
