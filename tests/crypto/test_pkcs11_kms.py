"""The PKCS#11 provider against a real SoftHSM2 token: the master key never leaves the token."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from hub.crypto.context import ObjectContext
from hub.crypto.envelope import A256GCM, parse
from hub.crypto.errors import DecryptionFailed, KeyStateError, KeyUnavailable
from hub.crypto.fields import decrypt_field, encrypt_field
from hub.crypto.kms import KeyProvider, KmsConfig, build_key_provider
from hub.crypto.kms_pkcs11 import Pkcs11KeyProvider
from hub.crypto.service import KeyService
from hub.store.db import Database

KEY = os.urandom(32)
AAD = b"tenant 7, key t7-kek-1"


@pytest.fixture
def hsm(softhsm: dict[str, str]) -> Iterator[Pkcs11KeyProvider]:
    """A provider with its own key label (so tests do not see each other's keys), one key."""
    provider = Pkcs11KeyProvider(**softhsm, key_label=f"fh-{uuid.uuid4().hex[:8]}")
    provider.ensure_key()
    yield provider
    for kid in provider.key_ids()[:-1]:
        provider.destroy(kid)


def test_master_key_is_sensitive_and_never_extractable(hsm: Pkcs11KeyProvider) -> None:
    import pkcs11
    from pkcs11 import Attribute, ObjectClass

    attrs = hsm.key_attributes(hsm.key_id)
    assert attrs == {
        "sensitive": True,
        "extractable": False,
        "always_sensitive": True,
        "never_extractable": True,
        "token": True,
    }
    # And the token refuses to hand out its value.
    with hsm._session() as pooled:
        key = pooled.session.get_key(
            object_class=ObjectClass.SECRET_KEY, label=hsm.key_label, id=hsm.key_id.encode()
        )
        with pytest.raises(pkcs11.exceptions.AttributeSensitive):
            key[Attribute.VALUE]


def test_wrap_unwrap_in_the_token(hsm: Pkcs11KeyProvider) -> None:
    assert isinstance(hsm, KeyProvider)
    wrapped = hsm.wrap(KEY, AAD)
    env = parse(wrapped)
    assert env.alg == A256GCM and env.kid == hsm.key_id
    assert KEY not in wrapped
    assert hsm.unwrap(wrapped, AAD) == KEY


def test_unwrap_is_bound_to_context_and_intact_bytes(hsm: Pkcs11KeyProvider) -> None:
    wrapped = hsm.wrap(KEY, AAD)
    with pytest.raises(DecryptionFailed):
        hsm.unwrap(wrapped, b"another tenant")
    for i in (0, 1, 3, len(wrapped) // 2, len(wrapped) - 1):
        tampered = bytearray(wrapped)
        tampered[i] ^= 0x01
        with pytest.raises(DecryptionFailed):
            hsm.unwrap(bytes(tampered), AAD)
    # A session still works after the failures (they are not device errors).
    assert hsm.unwrap(wrapped, AAD) == KEY


def test_rotation_and_destroy(hsm: Pkcs11KeyProvider) -> None:
    old_kid = hsm.key_id
    old = hsm.wrap(KEY, AAD)
    new_kid = hsm.rotate()
    assert new_kid > old_kid and hsm.key_id == new_kid
    assert parse(hsm.wrap(KEY, AAD)).kid == new_kid
    assert hsm.unwrap(old, AAD) == KEY
    with pytest.raises(KeyStateError):
        hsm.destroy(new_kid)
    hsm.destroy(old_kid)
    assert hsm.key_ids() == [new_kid]
    with pytest.raises(DecryptionFailed):
        hsm.unwrap(old, AAD)


def test_sessions_are_pooled(hsm: Pkcs11KeyProvider) -> None:
    hsm.unwrap(hsm.wrap(KEY, AAD), AAD)
    with hsm._session() as first:
        pass
    with hsm._session() as again:
        assert again is first


def test_a_forked_child_reopens_its_own_sessions(hsm: Pkcs11KeyProvider) -> None:
    wrapped = hsm.wrap(KEY, AAD)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            ok = hsm.unwrap(wrapped, AAD) == KEY and hsm.unwrap(hsm.wrap(KEY, AAD), AAD) == KEY
            code = 0 if ok else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    # The parent's pooled sessions are unaffected.
    assert hsm.unwrap(wrapped, AAD) == KEY


def test_an_unknown_token_is_reported_as_unavailable(softhsm: dict[str, str]) -> None:
    provider = Pkcs11KeyProvider(**{**softhsm, "token_label": "no-such-token"})
    with pytest.raises(KeyUnavailable):
        provider.wrap(KEY, AAD)


def test_key_service_on_the_hsm(
    db: Database, softhsm: dict[str, str], make_tenant: Callable[[str], int], tmp_path: Path
) -> None:
    label = f"fh-{uuid.uuid4().hex[:8]}"
    config = KmsConfig(
        provider="pkcs11",
        pkcs11_library=softhsm["library"],
        pkcs11_token_label=softhsm["token_label"],
        pkcs11_pin=SecretStr(softhsm["pin"]),
        pkcs11_key_label=label,
    )
    provider = build_key_provider(config, tmp_path)
    assert isinstance(provider, Pkcs11KeyProvider)
    provider.ensure_key()
    tenant = make_tenant("hsm-cell")
    service = KeyService(db, provider)
    service.ensure_tenant_keys(tenant)
    data_key, wrapped = service.new_data_key(tenant)
    ctx = ObjectContext(tenant, "report--1", "2026-11-01T00:00:00.000Z").field("description")
    token = encrypt_field(data_key, ctx, "held in the HSM")
    fresh = KeyService(db, provider)  # no cache: unwraps the tenant key in the token
    assert decrypt_field(fresh.open_data_key(tenant, wrapped), ctx, token) == "held in the HSM"
    rotation = fresh.rotate_master_key()
    assert rotation.rewrapped == 2  # the tenant's key and root
    fresh.retire_master_key(rotation.old_key_id)
    third = KeyService(db, provider)
    assert decrypt_field(third.open_data_key(tenant, wrapped), ctx, token) == "held in the HSM"
