"""Field-level encryption end to end, as partners see it through the OASIS `taxii2-client`.

A national cell publishes indicators whose description, case references and custom properties
are protected; its policy shares them with Ghana in clear, with INTERPOL and UNPOL encrypted to
their registered keys (X25519 and P-256), with CTED (no key registered) redacted. Each partner
opens what it may with its private key (`open_protected_fields`, `fusion-hub decrypt`); nothing
protected is ever in the database in clear, and a tampered row serves no plaintext.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from joserfc.jwk import ECKey, OKPKey
from stix2validator import ValidationOptions, validate_instance
from taxii2client.v21 import Collection, Server, as_pages
from typer.testing import CliRunner

from hub.cli import app
from hub.crypto import EXTENSION_ID, open_protected_fields
from hub.tenancy.service import sync_directory
from tests.conftest import World
from tests.crypto.wiring_support import (
    SECRET_CASE,
    SECRET_CUSTOM,
    SECRET_DESCRIPTION,
    assert_absent,
    raw_bytes,
)
from tests.factories import indicator

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

POLICY: dict[str, Any] = {
    "tenant": "ng-nctc",
    "rules": [
        {
            "name": "ecowas-in-clear",
            "effect": "share",
            "match": {"types": ["indicator"], "tlp": ["green", "amber"]},
            "recipients": {"communities": ["ecowas"]},
        },
        {
            "name": "partners-encrypted",
            "effect": "share",
            "match": {"types": ["indicator"], "tlp": ["green", "amber"]},
            "recipients": {"tenants": ["interpol", "unpol", "cted"]},
            "fields": {
                "description": "encrypt",
                "x_source_reliability": "encrypt",
                "external_references": "redact",
            },
        },
    ],
}


def _add_keys(tenants: Path, keys: dict[str, dict[str, Any]]) -> None:
    for slug, jwk in keys.items():
        path = tenants / f"{slug}.yaml"
        spec = yaml.safe_load(path.read_text())
        spec["public_keys"] = [jwk]
        path.write_text(yaml.safe_dump(spec))
    path = tenants / "collections.yaml"
    cols = yaml.safe_load(path.read_text())
    for col in cols["collections"]:
        if col["alias"] == "shared-exchange":
            col["allow_custom"] = True
    path.write_text(yaml.safe_dump(cols))


@pytest.fixture
def keyed_world(world: World, tenants_copy: Path) -> tuple[World, dict[str, Any]]:
    """INTERPOL registers an X25519 key, UNPOL a P-256 key; CTED none."""
    x25519, p256 = OKPKey.generate_key("X25519"), ECKey.generate_key("P-256")
    _add_keys(
        tenants_copy,
        {
            "interpol": {**x25519.as_dict(private=False), "kid": "interpol-2026", "use": "enc"},
            "unpol": {**p256.as_dict(private=False), "kid": "unpol-2026"},
        },
    )
    report = sync_directory(world.db, tenants_copy)
    assert sorted(report.keys) == ["tenant:interpol", "tenant:unpol"]
    world.apply_policy(POLICY)
    private = {
        "interpol": x25519.as_dict(private=True) | {"kid": "interpol-2026"},
        "unpol": p256.as_dict(private=True) | {"kid": "unpol-2026"},
    }
    return world, private


def _collection(world: World, slug: str) -> Collection:
    cid, secret = world.creds(slug)
    root = Server(f"{world.url}/taxii2/", user=cid, password=secret).default
    assert root is not None
    return next(c for c in root.collections if c.title == "Shared exchange")


def _all(col: Collection) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for envelope in as_pages(col.get_objects, per_request=50, type="indicator"):
        objects.extend(envelope.get("objects", []))
    return objects


def _valid(objects: list[dict[str, Any]]) -> None:
    options = ValidationOptions(version="2.1", strict=False)
    for obj in objects:
        result = validate_instance(obj, options)
        assert result.is_valid, (obj["id"], [str(e) for e in result.errors])


def _published(world: World) -> list[dict[str, Any]]:
    me = world.scope("ng-nctc").identity_id
    objs = [
        indicator(
            me,
            tlp="green",
            description=f"{SECRET_DESCRIPTION} #{i}",
            external_references=[{"source_name": "ng-case", "external_id": f"{SECRET_CASE}-{i}"}],
            x_source_reliability=f"{SECRET_CUSTOM} #{i}",
        )
        for i in range(3)
    ]
    status = _collection(world, "ng-nctc").add_objects(
        json.dumps({"objects": objs}), wait_for_completion=True
    )
    assert status.success_count == 3, status.failures
    return objs


def test_partners_get_clear_encrypted_and_redacted_fields(
    keyed_world: tuple[World, dict[str, Any]], tmp_path: Path
) -> None:
    world, private = keyed_world
    objs = _published(world)
    assert _all(_collection(world, "gh-ctfc")) == objs  # ECOWAS: everything in clear

    without_refs = [{k: v for k, v in o.items() if k != "external_references"} for o in objs]
    for slug in ("interpol", "unpol"):
        got = _all(_collection(world, slug))
        _valid(got)
        text = json.dumps(got)
        assert SECRET_DESCRIPTION not in text and SECRET_CUSTOM not in text
        assert SECRET_CASE not in text  # redacted: not even encrypted
        for obj in got:
            fields = obj["extensions"][EXTENSION_ID]["encrypted_fields"]
            assert set(fields) == {"description", "x_source_reliability"}
            assert "description" not in obj and "external_references" not in obj
        opened = [open_protected_fields(o, private[slug]) for o in got]
        assert opened == without_refs

        envelope, key = tmp_path / f"{slug}.json", tmp_path / f"{slug}.jwk"
        envelope.write_text(json.dumps({"more": False, "objects": got}))
        key.write_text(json.dumps(private[slug]))
        result = CliRunner().invoke(app, ["decrypt", str(envelope), "--key", str(key)])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["objects"] == without_refs

    other = private["unpol"]  # a JWE for INTERPOL does not open with UNPOL's key
    interpol_objects = _all(_collection(world, "interpol"))
    (tmp_path / "wrong.jwk").write_text(json.dumps(other))
    (tmp_path / "env.json").write_text(json.dumps({"objects": interpol_objects}))
    wrong = CliRunner().invoke(
        app, ["decrypt", str(tmp_path / "env.json"), "--key", str(tmp_path / "wrong.jwk")]
    )
    assert wrong.exit_code == 1 and SECRET_DESCRIPTION not in wrong.output

    cted = _all(_collection(world, "cted"))  # no key registered: the encrypt fields are redacted
    assert [set(o) for o in cted] == [
        set(o) - {"x_source_reliability", "description"} for o in without_refs
    ]
    assert all("description" not in o and "extensions" not in o for o in cted)

    plaintexts = [o[p] for o in objs for p in ("description", "x_source_reliability")]
    assert_absent(raw_bytes(world.db), [*plaintexts, *(f"{SECRET_CASE}-{i}" for i in range(3))])


def test_a_tampered_marking_serves_no_plaintext(
    keyed_world: tuple[World, dict[str, Any]],
) -> None:
    world, _private = keyed_world
    objs = _published(world)
    with world.db.write_session() as s:  # an insider "declassifies" one object in the database
        s.execute(
            sa.text("UPDATE object_version SET tlp = 'clear' WHERE object_id = :i"),
            {"i": objs[0]["id"]},
        )
    for slug in ("gh-ctfc", "ng-nctc", "interpol"):
        got = {o["id"]: o for o in _all(_collection(world, slug))}
        assert set(got) == {o["id"] for o in objs}
        assert "description" not in got[objs[0]["id"]]
        assert EXTENSION_ID not in got[objs[0]["id"]].get("extensions", {})
        assert SECRET_DESCRIPTION + " #0" not in json.dumps(got)
    assert _all(_collection(world, "gh-ctfc"))[1] == objs[1]  # the others are untouched
