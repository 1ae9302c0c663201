"""The local key provider: the keyring file, its permissions, HUB_MASTER_KEY, rotation."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from hub.crypto.envelope import A256GCMSIV, parse
from hub.crypto.errors import DecryptionFailed, KeyStateError, KeyUnavailable
from hub.crypto.keyring import KEYRING_FILE, KeyringError, LocalKeyring
from hub.crypto.kms import KeyProvider, KmsConfig, build_key_provider, wrapping_key_id
from hub.crypto.kms_local import LocalKeyProvider, env_key_id

KEY = os.urandom(32)
AAD = b"tenant 7, key t7-kek-1"


def test_init_creates_a_private_keyring_with_a_master_key(tmp_path: Path) -> None:
    ring = LocalKeyring.create_or_open(tmp_path / "var")
    path = tmp_path / "var" / KEYRING_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    raw = json.loads(path.read_text())
    assert set(raw["secrets"]) == {"pagination", "audit-chain", "session"}
    assert raw["master_keys"]["current"] == ring.current_master_key_id
    assert len(ring.secret("pagination")) == 32  # the existing API still works
    # Harmless twice: the same file, the same keys.
    again = LocalKeyring.create_or_open(tmp_path / "var")
    assert again.current_master_key_id == ring.current_master_key_id


def test_a_keyring_without_master_keys_gets_one(tmp_path: Path) -> None:
    path = tmp_path / KEYRING_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    secrets = {n: base64.b64encode(os.urandom(32)).decode() for n in ("pagination", "session")}
    with os.fdopen(fd, "w") as fh:
        json.dump({"version": 1, "secrets": secrets}, fh)
    ring = LocalKeyring.create_or_open(tmp_path)
    assert ring.current_master_key_id is not None
    assert ring.secret("pagination") == base64.b64decode(secrets["pagination"])
    assert path.stat().st_mode & 0o777 == 0o600


def test_round_trip_and_format(local_provider: LocalKeyProvider) -> None:
    assert isinstance(local_provider, KeyProvider)
    wrapped = local_provider.wrap(KEY, AAD)
    env = parse(wrapped)
    assert env.alg == A256GCMSIV and env.kid == local_provider.key_id
    assert wrapping_key_id(wrapped) == local_provider.key_id
    assert local_provider.unwrap(wrapped, AAD) == KEY
    assert KEY not in wrapped


def test_unwrap_is_bound_to_context_and_intact_bytes(local_provider: LocalKeyProvider) -> None:
    wrapped = local_provider.wrap(KEY, AAD)
    with pytest.raises(DecryptionFailed):
        local_provider.unwrap(wrapped, b"tenant 8, key t7-kek-1")
    for i in range(len(wrapped)):
        tampered = bytearray(wrapped)
        tampered[i] ^= 0x01
        with pytest.raises(DecryptionFailed):
            local_provider.unwrap(bytes(tampered), AAD)
    with pytest.raises(DecryptionFailed):
        local_provider.unwrap(wrapped[:20], AAD)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644])
def test_refuses_a_keyring_others_can_read(tmp_path: Path, mode: int) -> None:
    LocalKeyring.create_or_open(tmp_path)
    os.chmod(tmp_path / KEYRING_FILE, mode)
    with pytest.raises(KeyUnavailable, match="accessible to other users"):
        LocalKeyProvider.from_data_dir(tmp_path)
    with pytest.raises(KeyringError):
        LocalKeyring(tmp_path / KEYRING_FILE).load()


def test_refuses_a_missing_keyring(tmp_path: Path) -> None:
    with pytest.raises(KeyUnavailable, match="fusion-hub init"):
        LocalKeyProvider.from_data_dir(tmp_path)


def test_rotation_adds_a_current_key_and_old_wraps_still_open(
    local_provider: LocalKeyProvider, tmp_path: Path
) -> None:
    old_kid = local_provider.key_id
    old = local_provider.wrap(KEY, AAD)
    new_kid = local_provider.rotate()
    assert new_kid != old_kid and local_provider.key_id == new_kid
    assert local_provider.key_ids() == sorted([old_kid, new_kid])
    assert parse(local_provider.wrap(KEY, AAD)).kid == new_kid
    assert local_provider.unwrap(old, AAD) == KEY
    # Another process (another provider on the same file) sees the rotation.
    other = LocalKeyProvider.from_data_dir(tmp_path)
    assert other.key_id == new_kid
    assert other.unwrap(old, AAD) == KEY
    # The file stays private through the atomic rewrite.
    assert (tmp_path / KEYRING_FILE).stat().st_mode & 0o777 == 0o600


def test_destroying_a_master_key(local_provider: LocalKeyProvider, tmp_path: Path) -> None:
    old_kid = local_provider.key_id
    old = local_provider.wrap(KEY, AAD)
    with pytest.raises(KeyStateError):
        local_provider.destroy(old_kid)
    local_provider.rotate()
    other = LocalKeyProvider.from_data_dir(tmp_path)  # another process, key already in use
    assert other.unwrap(old, AAD) == KEY
    local_provider.destroy(old_kid)
    assert old_kid not in local_provider.key_ids()
    for provider in (local_provider, other):
        with pytest.raises(DecryptionFailed):
            provider.unwrap(old, AAD)


def test_hub_master_key_from_the_environment() -> None:
    key = os.urandom(32)
    provider = LocalKeyProvider.from_master_key(base64.b64encode(key).decode())
    assert provider.key_id == env_key_id(key)
    assert key.hex() not in provider.key_id and "env-" in repr(provider)
    wrapped = provider.wrap(KEY, AAD)
    assert provider.unwrap(wrapped, AAD) == KEY
    with pytest.raises(KeyStateError):
        provider.rotate()
    # Rotation by configuration: the new key current, the old one kept among the previous keys.
    newer = os.urandom(32)
    rotated = LocalKeyProvider.from_master_key(
        base64.b64encode(newer).decode(), previous=[base64.b64encode(key).decode()]
    )
    assert rotated.key_id == env_key_id(newer)
    assert rotated.unwrap(wrapped, AAD) == KEY
    # Without the old key, what it wrapped stays closed.
    alone = LocalKeyProvider.from_master_key(base64.b64encode(newer).decode())
    with pytest.raises(DecryptionFailed):
        alone.unwrap(wrapped, AAD)


@pytest.mark.parametrize("bad", ["not base64!", base64.b64encode(b"short").decode(), ""])
def test_hub_master_key_must_be_256_bits_of_base64(bad: str) -> None:
    with pytest.raises(KeyUnavailable, match="HUB_MASTER_KEY"):
        LocalKeyProvider.from_master_key(bad)


def test_build_key_provider(tmp_path: Path) -> None:
    LocalKeyring.create_or_open(tmp_path)
    from_file = build_key_provider(KmsConfig(), tmp_path)
    assert from_file.name == "local" and from_file.key_id.startswith("mk-")
    key = base64.b64encode(os.urandom(32)).decode()
    from_env = build_key_provider(KmsConfig(master_key=SecretStr(key)), tmp_path)
    assert from_env.key_id.startswith("env-")
    assert key not in repr(KmsConfig(master_key=SecretStr(key)))
    with pytest.raises(KeyUnavailable, match="PIN"):
        build_key_provider(KmsConfig(provider="pkcs11"), tmp_path)
