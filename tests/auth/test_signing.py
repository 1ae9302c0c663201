"""Token signing keys: the file's protection, creation races, rotation with overlap."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from joserfc import jws

from hub.auth.errors import InvalidToken
from hub.auth.signing import SigningKeyError, SigningKeys
from hub.auth.tokens import TokenIssuer
from hub.settings import Settings
from tests.auth.helpers import bearer, http, token_for
from tests.conftest import World


def test_created_private_and_refused_when_exposed(tmp_path: Path) -> None:
    keys = SigningKeys.for_data_dir(tmp_path / "var")
    kid = keys.current().kid
    assert (tmp_path / "var" / "signing-keys.json").stat().st_mode & 0o777 == 0o600
    os.chmod(keys.path, 0o640)
    with pytest.raises(SigningKeyError, match="accessible to other users"):
        SigningKeys(keys.path).current()
    os.chmod(keys.path, 0o600)
    assert SigningKeys(keys.path).current().kid == kid


def test_concurrent_first_use_agrees_on_one_key(tmp_path: Path) -> None:
    kids: list[str] = []
    barrier = threading.Barrier(8)

    def first_use() -> None:
        barrier.wait()
        kids.append(SigningKeys.for_data_dir(tmp_path).current().kid)

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(kids) == 8 and len(set(kids)) == 1
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_rotation_overlap_and_expiry_of_old_keys(tmp_path: Path) -> None:
    clock = [1_000_000.0]
    keys = SigningKeys(tmp_path / "signing-keys.json", clock=lambda: clock[0])
    issuer = TokenIssuer(keys, issuer="https://hub", audience="https://hub", ttl=900,
                         clock=lambda: clock[0])  # fmt: skip
    old_token, _ = issuer.issue("c", "t", ("taxii:read",))
    old_kid = keys.current().kid
    new = keys.rotate(token_ttl=900)
    assert new.kid != old_kid
    assert [k["kid"] for k in keys.public_jwks()["keys"]] == [new.kid, old_kid]
    clock[0] += 800
    assert issuer.verify(old_token).client_id == "c"  # still within its lifetime
    clock[0] += 200  # past the old key's last token + leeway
    assert keys.verification_key(old_kid) is None
    with pytest.raises(InvalidToken):
        issuer.verify(old_token)
    keys.rotate(token_ttl=900)
    assert len(keys.public_jwks()["keys"]) == 2  # the expired key was dropped from the file


def test_another_process_rotation_is_picked_up(tmp_path: Path) -> None:
    server = SigningKeys(tmp_path / "signing-keys.json")
    before = server.current().kid
    cli = SigningKeys(tmp_path / "signing-keys.json")
    new = cli.rotate(token_ttl=900)
    # Verification of the new kid reloads at once; signing follows within a second.
    assert server.verification_key(new.kid) is not None
    deadline = time.monotonic() + 3
    while server.current().kid == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.current().kid == new.kid


def test_rotation_keeps_issued_tokens_valid(world: World, settings: Settings) -> None:
    cid, secret = world.creds("ng-nctc", ("taxii:read",))
    old = token_for(world.url, cid, secret)["access_token"]
    keys = SigningKeys.for_data_dir(settings.data_dir)
    old_kid = keys.current().kid
    new_kid = keys.rotate(settings.access_token_ttl).kid
    deadline = time.monotonic() + 3
    while True:
        fresh = token_for(world.url, cid, secret)["access_token"]
        kid = jws.extract_compact(fresh.encode()).headers()["kid"]
        if kid == new_kid or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert kid == new_kid
    for token in (old, fresh):
        assert http().get(world.url + "/taxii2/", headers=bearer(token)).status_code == 200
    published = {k["kid"] for k in http().get(world.url + "/.well-known/jwks.json").json()["keys"]}
    assert {old_kid, new_kid} <= published
