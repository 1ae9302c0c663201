"""Field encryption: round trips, the AAD binding, tampering, the token format."""

from __future__ import annotations

import os
from typing import Any

import pytest

from hub.crypto._encoding import b64d, b64e
from hub.crypto.context import FieldContext, ObjectContext
from hub.crypto.errors import DecryptionFailed, InvalidValue
from hub.crypto.fields import (
    PAD_TO,
    DataKey,
    decrypt_field,
    encrypt_field,
    is_ciphertext,
    parse_ciphertext,
)
from hub.crypto.tenant_keys import TenantKey

OBJ = ObjectContext(
    7, "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "2026-11-01T10:00:00.000Z"
)
NAME = OBJ.field("name")


def _key(tenant_id: int = 7) -> DataKey:
    return DataKey(tenant_id, b64e(os.urandom(8)), os.urandom(32))


@pytest.mark.parametrize(
    "value",
    [
        "C2 server in Niamey",
        "",
        "ünïcödé — 北京 — الساحل ☂",
        ["198.51.100.7", "203.0.113.9"],
        {"url": "https://x.example/a", "hashes": {"SHA-256": "ab" * 32}},
        {"b": 1, "a": [True, False, None, 1.5, -3]},
        42,
        None,
        "x" * 10_000,
    ],
)
def test_round_trip(value: Any) -> None:
    key = _key()
    token = encrypt_field(key, NAME, value)
    assert decrypt_field(key, NAME, token) == value


def test_each_encryption_is_fresh() -> None:
    key = _key()
    assert encrypt_field(key, NAME, "same") != encrypt_field(key, NAME, "same")


def test_token_format_carries_version_algorithm_and_key_id() -> None:
    key = _key()
    token = encrypt_field(key, NAME, "v")
    version, alg, kid, payload = token.split(".")
    assert (version, alg, kid) == ("fh1", "A256GCM", key.kid)
    parsed = parse_ciphertext(token)
    assert (parsed.version, parsed.alg, parsed.kid) == ("fh1", "A256GCM", key.kid)
    assert parsed.payload == b64d(payload)
    assert len(parsed.payload) == 12 + PAD_TO + 16  # nonce, one padded block, tag
    assert is_ciphertext(token)
    assert not is_ciphertext("fh1.A256GCM.only-three")
    assert not is_ciphertext(42)


def test_length_is_padded() -> None:
    key = _key()
    lengths = {len(parse_ciphertext(encrypt_field(key, NAME, "x" * n)).payload) for n in range(14)}
    assert lengths == {12 + 16 + 16}


@pytest.mark.parametrize(
    "token",
    [
        None,
        42,
        "",
        "fh1",
        "fh2.A256GCM.abc.AAAA",
        "fh1.A128GCM.abc.AAAA",
        "fh1.A256GCM..AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "fh1.A256GCM.abc.AAAA",  # payload too short
        "fh1.A256GCM.abc.AAAA.extra",
        "fh1.A256GCM.abc.not base64!",
        "fh1.A256GCM.abc.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  # padding is not canonical
    ],
)
def test_malformed_tokens_are_the_opaque_error(token: object) -> None:
    with pytest.raises(DecryptionFailed) as info:
        parse_ciphertext(token)
    assert info.value.description == "protected data could not be opened"
    with pytest.raises(DecryptionFailed):
        decrypt_field(_key(), NAME, token)


MOVES = {
    "another tenant": FieldContext.of(8, OBJ.object_id, OBJ.modified, "/name"),
    "another object": FieldContext.of(
        7, "indicator--00000000-0000-4000-8000-000000000000", OBJ.modified, "/name"
    ),
    "another version": FieldContext.of(7, OBJ.object_id, "2026-11-02T10:00:00.000Z", "/name"),
    "another field": OBJ.field("description"),
    "a nested field": OBJ.field("/name/0"),
}


@pytest.mark.parametrize("where", sorted(MOVES))
def test_ciphertext_moved_elsewhere_fails(where: str) -> None:
    # The same key bytes and key id on both sides: only the associated data differs.
    raw, kid = os.urandom(32), "dk-test"
    token = encrypt_field(DataKey(7, kid, raw), NAME, "secret")
    moved = MOVES[where]
    with pytest.raises(DecryptionFailed):
        decrypt_field(DataKey(moved.tenant_id, kid, raw), moved, token)
    assert decrypt_field(DataKey(7, kid, raw), NAME, token) == "secret"


def test_ciphertext_under_another_key_fails() -> None:
    key, other = _key(), _key()
    token = encrypt_field(key, NAME, "secret")
    with pytest.raises(DecryptionFailed):
        decrypt_field(other, NAME, token)
    # Same key id, different key: the tag fails.
    impostor = DataKey(7, key.kid, os.urandom(32))
    with pytest.raises(DecryptionFailed):
        decrypt_field(impostor, NAME, token)
    # The key id is in the AAD: relabelling the token does not help.
    relabelled = token.replace(key.kid, other.kid)
    with pytest.raises(DecryptionFailed):
        decrypt_field(other, NAME, relabelled)


def test_every_single_character_edit_fails() -> None:
    key = _key()
    token = encrypt_field(key, NAME, {"indicator": "secret"})
    prefix = len("fh1.A256GCM.") + len(key.kid) + 1
    for i in range(prefix, len(token)):
        replacement = "A" if token[i] != "A" else "B"
        tampered = token[:i] + replacement + token[i + 1 :]
        with pytest.raises(DecryptionFailed):
            decrypt_field(key, NAME, tampered)
    for cut in (token[:-1], token + "A", token[:-4]):
        with pytest.raises(DecryptionFailed):
            decrypt_field(key, NAME, cut)


def test_failure_carries_no_detail_and_no_cause() -> None:
    key = _key()
    token = encrypt_field(key, NAME, "secret")
    with pytest.raises(DecryptionFailed) as info:
        decrypt_field(key, OBJ.field("other"), token)
    exc = info.value
    assert exc.__cause__ is None and exc.__suppress_context__
    assert "secret" not in str(exc) and exc.details is None


def test_data_key_is_bound_to_its_tenant() -> None:
    key = _key(tenant_id=8)
    with pytest.raises(InvalidValue):
        encrypt_field(key, NAME, "x")  # NAME is tenant 7


def test_values_that_are_not_json_are_refused() -> None:
    with pytest.raises(InvalidValue):
        encrypt_field(_key(), NAME, {1: "non-string key"})
    with pytest.raises(InvalidValue):
        encrypt_field(_key(), NAME, object())


def test_keys_never_show_in_repr() -> None:
    raw = os.urandom(32)
    key = DataKey(7, "kid", raw)
    tk = TenantKey(7, "t7-kek-x", raw)
    for text in (repr(key), repr(tk), str(key)):
        assert "***" in text and raw.hex() not in text and b64e(raw) not in text


def test_field_paths_are_canonical_json_pointers() -> None:
    assert OBJ.field("name").path == "/name"
    assert OBJ.field("/external_references/0/url").path == "/external_references/0/url"
    assert OBJ.field("a/b").path == "/a~1b"
    with pytest.raises(InvalidValue):
        OBJ.field("/bad~2escape")
