"""Delivery to recipients: JWE for X25519 and P-256 keys inside the hub's STIX extension."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
from joserfc.jwe import JWERegistry, decrypt_compact
from joserfc.jwk import ECKey, OKPKey

from hub.crypto.context import FieldContext
from hub.crypto.delivery import (
    JWE_ALG,
    JWE_ENC,
    JWE_REGISTRY,
    RecipientSealer,
    encrypt_for_recipient,
    recipient_key,
)
from hub.crypto.errors import DecryptionFailed, InvalidValue
from hub.crypto.extension import (
    EXTENSION_ID,
    SCHEMA,
    extension_definition,
    open_protected_fields,
    protect_fields,
)

OPERATOR = "identity--6c307511-b2b9-437a-a8df-6ec4ce4a2bbd"
CELL = "identity--b74d0fb1-32e7-4629-8fad-c1a606cb0fb3"


def _keypair(kind: str) -> tuple[dict[str, Any], OKPKey | ECKey]:
    key: OKPKey | ECKey
    key = OKPKey.generate_key("X25519") if kind == "x25519" else ECKey.generate_key("P-256")
    public = dict(key.as_dict(private=False))
    public["kid"] = f"partner-{kind}"
    return public, key


def _actor() -> dict[str, Any]:
    return {
        "type": "threat-actor",
        "spec_version": "2.1",
        "id": "threat-actor--5b5a7f42-30b5-4b8b-9a93-7c2c7e4b6a01",
        "created": "2026-11-01T10:00:00.000Z",
        "modified": "2026-11-03T08:30:00.000Z",
        "created_by_ref": CELL,
        "name": "Sahel cell 7",
        "description": "Logistics node; meets at the Niamey bus station on Fridays.",
        "aliases": ["SANDSTORM", "Red Dune"],
        "external_references": [
            {"source_name": "case", "url": "https://cases.example/7", "external_id": "C-7"}
        ],
        "extensions": {"extension-definition--11111111-1111-4111-8111-111111111111": {"x": 1}},
    }


@pytest.mark.parametrize("kind", ["x25519", "p256"])
def test_protect_and_open_round_trip(kind: str) -> None:
    public, private = _keypair(kind)
    obj = _actor()
    paths = ["description", "aliases", "/external_references/0/url"]
    served = protect_fields(obj, paths, public)
    assert obj == _actor()  # the input is not modified
    for gone in ("description", "aliases"):
        assert gone not in served
    assert "url" not in served["external_references"][0]
    fields = served["extensions"][EXTENSION_ID]["encrypted_fields"]
    assert served["extensions"][EXTENSION_ID]["extension_type"] == "property-extension"
    assert set(fields) == {"description", "aliases", "/external_references/0/url"}
    assert all(v.count(".") == 4 for v in fields.values())  # compact JWE
    dumped = orjson.dumps(served)
    assert b"Niamey" not in dumped and b"SANDSTORM" not in dumped
    opened = open_protected_fields(served, private)
    assert opened == obj
    # Works from a private JWK dict too.
    assert open_protected_fields(served, private.as_dict(private=True)) == obj


@pytest.mark.parametrize("kind", ["x25519", "p256"])
def test_each_field_is_a_standard_jwe_with_its_context(kind: str) -> None:
    public, private = _keypair(kind)
    ctx = FieldContext.of(1, "indicator--1", "2026-11-01T10:00:00.000Z", "/pattern")
    token = encrypt_for_recipient({"v": [1, 2]}, public, ctx)
    jwe = decrypt_compact(token, private, registry=JWE_REGISTRY)
    assert orjson.loads(jwe.plaintext or b"") == {"v": [1, 2]}
    header = jwe.protected
    assert (header["alg"], header["enc"], header["kid"]) == (JWE_ALG, JWE_ENC, f"partner-{kind}")
    assert header["fh"] == {
        "id": "indicator--1",
        "modified": "2026-11-01T10:00:00.000Z",
        "path": "/pattern",
    }
    assert header["epk"]["crv"] == ("X25519" if kind == "x25519" else "P-256")
    assert "d" not in header["epk"]
    # A JOSE library that ignores unknown header parameters (RFC 7516 §4) opens it as is.
    generic = JWERegistry(algorithms=[JWE_ALG, JWE_ENC], strict_check_header=False)
    assert orjson.loads(decrypt_compact(token, private, registry=generic).plaintext or b"") == {
        "v": [1, 2]
    }


def test_one_ephemeral_key_per_object_version_and_recipient() -> None:
    public, private = _keypair("p256")
    sealer = RecipientSealer(recipient_key(public), "report--1", "2026-11-01T10:00:00.000Z")
    a, b = sealer.seal("name", "A"), sealer.seal("description", "B")
    head_a = decrypt_compact(a, private, registry=JWE_REGISTRY).protected
    head_b = decrypt_compact(b, private, registry=JWE_REGISTRY).protected
    assert head_a["epk"] == head_b["epk"] and a.split(".")[1] == b.split(".")[1]
    assert a.split(".")[2] != b.split(".")[2]  # fresh IVs
    other = RecipientSealer(recipient_key(public), "report--1", "2026-11-01T10:00:00.000Z")
    assert (
        decrypt_compact(other.seal("name", "A"), private, registry=JWE_REGISTRY).protected["epk"]
        != head_a["epk"]
    )


def _swap(served: dict[str, Any], a: str, b: str) -> dict[str, Any]:
    tampered = copy.deepcopy(served)
    fields = tampered["extensions"][EXTENSION_ID]["encrypted_fields"]
    fields[a], fields[b] = fields[b], fields[a]
    return tampered


def test_moved_or_tampered_fields_are_refused() -> None:
    public, private = _keypair("x25519")
    served = protect_fields(_actor(), ["description", "name"], public)
    with pytest.raises(DecryptionFailed):
        open_protected_fields(_swap(served, "description", "name"), private)
    for prop, value in (
        ("id", "threat-actor--00000000-0000-4000-8000-000000000000"),
        ("modified", "2026-12-01T00:00:00.000Z"),
    ):
        with pytest.raises(DecryptionFailed):
            open_protected_fields({**served, prop: value}, private)
    # Moved into another object.
    other = protect_fields(
        {**_actor(), "id": "threat-actor--00000000-0000-4000-8000-000000000009"}, ["name"], public
    )
    moved = copy.deepcopy(served)
    moved["extensions"][EXTENSION_ID]["encrypted_fields"]["name"] = other["extensions"][
        EXTENSION_ID
    ]["encrypted_fields"]["name"]
    with pytest.raises(DecryptionFailed):
        open_protected_fields(moved, private)
    # An edited ciphertext.
    bad = copy.deepcopy(served)
    parts = bad["extensions"][EXTENSION_ID]["encrypted_fields"]["name"].split(".")
    parts[3] = ("A" if parts[3][0] != "A" else "B") + parts[3][1:]
    bad["extensions"][EXTENSION_ID]["encrypted_fields"]["name"] = ".".join(parts)
    with pytest.raises(DecryptionFailed):
        open_protected_fields(bad, private)


def test_the_wrong_private_key_fails_without_partial_result() -> None:
    public, _ = _keypair("p256")
    _, stranger = _keypair("p256")
    served = protect_fields(_actor(), ["description"], public)
    with pytest.raises(DecryptionFailed):
        open_protected_fields(served, stranger)
    with pytest.raises(InvalidValue):
        open_protected_fields(served, dict(public))  # a public key cannot open anything


def test_objects_without_the_extension_come_back_unchanged() -> None:
    _, private = _keypair("x25519")
    obj = _actor()
    assert open_protected_fields(obj, private) == obj


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"},
        {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
        {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"},  # not a point on the curve
    ],
)
def test_unusable_recipient_keys_are_refused(jwk: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue):
        recipient_key(jwk)


def test_private_keys_are_not_accepted_for_registration() -> None:
    with pytest.raises(InvalidValue, match="private"):
        recipient_key(OKPKey.generate_key("X25519").as_dict(private=True))
    public, _ = _keypair("x25519")
    with pytest.raises(InvalidValue):
        recipient_key({**public, "use": "sig"})


def test_parsed_recipient_keys_are_cached() -> None:
    public, _ = _keypair("x25519")
    assert recipient_key(public) is recipient_key(dict(reversed(list(public.items()))))


def test_the_extension_definition_and_protected_objects_are_valid_stix() -> None:
    from hub.stix.validate import validate_object

    definition = extension_definition(OPERATOR)
    assert definition["id"] == EXTENSION_ID and definition["schema"] == SCHEMA
    assert definition["extension_types"] == ["property-extension"]
    validate_object(definition)
    public, _ = _keypair("x25519")
    served = protect_fields(_actor(), ["description", "aliases"], public)
    info = validate_object(served, allow_custom=True)
    assert info.id == served["id"]
