"""Client registration: scopes per tenant kind, key sets, hashing, and the `clients` CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.auth import hashing
from hub.auth.clients import (
    TENANT_SCOPES,
    client_is_active,
    create_client,
    list_clients,
    register_key_client,
    revoke_client,
    rotate_secret,
    scopes_for_kind,
    validate_jwks,
)
from hub.auth.errors import InvalidClientSpec, UnknownClient, UnknownTenant
from hub.cli import app
from hub.errors import HubError
from hub.settings import Settings
from hub.store.models import ApiClient
from tests.auth.helpers import ec_key, ed25519_key, public_jwks
from tests.conftest import World


def test_scopes_for_kind() -> None:
    assert "admin" not in scopes_for_kind("national-cell")
    assert scopes_for_kind("partner") == TENANT_SCOPES
    assert scopes_for_kind("operator") == (*TENANT_SCOPES, "admin")


def test_scopes_are_checked_against_the_tenant_kind(world: World) -> None:
    with pytest.raises(InvalidClientSpec, match="may not hold admin"):
        create_client(world.db, "ng-nctc", ["taxii:read", "admin"])
    with pytest.raises(ValueError, match="Unknown scope"):
        create_client(world.db, "ng-nctc", ["taxii:delete"])
    with pytest.raises(HubError, match="at least one scope"):
        create_client(world.db, "ng-nctc", [])
    with pytest.raises(UnknownTenant):
        create_client(world.db, "nowhere", ["taxii:read"])
    cid, _ = create_client(world.db, "hub-operator", ["admin", "taxii:read", "admin"])
    assert [c.scopes for c in list_clients(world.db, "hub-operator")] == [["admin", "taxii:read"]]
    assert cid.startswith("hub-operator-")


def test_secret_is_random_shown_once_and_stored_hashed(world: World) -> None:
    cid, secret = create_client(world.db, "ng-nctc", ["taxii:read"], name="poller")
    assert len(secret) == 43
    with world.db.session() as s:
        row = s.query(ApiClient).filter_by(client_id=cid).one()
    assert row.secret_hash and secret not in row.secret_hash
    assert row.secret_hash.startswith(f"scrypt${hashing.LOG2_N}$8$1$")
    assert hashing.LOG2_N >= 15  # the production cost; tests do not lower it
    assert client_is_active(world.db, cid, secret)
    assert not client_is_active(world.db, cid, secret + "x")
    assert not client_is_active(world.db, "nobody", secret)


def test_revoke_and_rotate(world: World) -> None:
    cid, secret = create_client(world.db, "ng-nctc", ["taxii:read"])
    new = rotate_secret(world.db, cid)
    assert new != secret
    assert not client_is_active(world.db, cid, secret) and client_is_active(world.db, cid, new)
    assert revoke_client(world.db, cid) and not revoke_client(world.db, cid)
    assert not client_is_active(world.db, cid, new)
    assert list_clients(world.db, "ng-nctc")[0].revoked_at is not None
    with pytest.raises(InvalidClientSpec):
        rotate_secret(world.db, cid)
    with pytest.raises(UnknownClient):
        revoke_client(world.db, "nobody")


def test_key_sets(world: World) -> None:
    ec, ed = ec_key(), ed25519_key()
    stored = validate_jwks(public_jwks(ec, ed))
    assert [k["kid"] for k in stored["keys"]] == [ec.kid, ed.kid]
    cid = register_key_client(world.db, "ng-nctc", ["taxii:read"], public_jwks(ec))
    assert list_clients(world.db)[0].auth_method == "private_key_jwt"
    with pytest.raises(InvalidClientSpec):
        rotate_secret(world.db, cid)
    private = {"keys": [ec.as_dict(private=True)]}
    hmac_key = {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}
    for bad in (private, hmac_key, {"keys": []}, {"nope": 1}, "text"):
        with pytest.raises(InvalidClientSpec):
            validate_jwks(bad)


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("HUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HUB_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HUB_ENVIRONMENT", "test")
    return CliRunner()


def test_cli(world: World, cli_env: CliRunner, tmp_path: Path) -> None:
    r = cli_env.invoke(
        app, ["clients", "create", "--tenant", "ng-nctc", "--scope", "taxii:read", "--json"]
    )
    assert r.exit_code == 0, r.output
    made = json.loads(r.stdout)
    assert client_is_active(world.db, made["client_id"], made["client_secret"])
    r = cli_env.invoke(app, ["clients", "create", "--tenant", "ng-nctc", "--scope", "admin"])
    assert r.exit_code == 1 and "may not hold admin" in r.output
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(public_jwks(ec_key())))
    r = cli_env.invoke(
        app,
        ["clients", "create", "-t", "ng-nctc", "-s", "taxii:read", "--jwks", str(jwks), "--json"],
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["auth"] == "private_key_jwt"
    r = cli_env.invoke(app, ["clients", "list", "--tenant", "ng-nctc", "--json"])
    listed = json.loads(r.stdout)
    assert len(listed) == 2
    assert all("client_secret" not in c and "secret_hash" not in c for c in listed)
    assert made["client_secret"] not in r.stdout
    r = cli_env.invoke(app, ["clients", "rotate-secret", made["client_id"], "--json"])
    rotated = json.loads(r.stdout)["client_secret"]
    assert client_is_active(world.db, made["client_id"], rotated)
    r = cli_env.invoke(app, ["clients", "revoke", made["client_id"]])
    assert r.exit_code == 0
    assert not client_is_active(world.db, made["client_id"], rotated)
    r = cli_env.invoke(app, ["clients", "revoke", "nobody"])
    assert r.exit_code == 1
    r = cli_env.invoke(app, ["clients", "signing-keys", "list"])
    assert r.exit_code == 0 and "current" in r.stdout
