"""The hub's field-encryption STIX property extension, and the recipient's function to open it.

When a sharing policy says a field reaches a recipient encrypted, the hub removes the property
from the object it serves and adds, under STIX 2.1 §7.3 extensions::

    "extensions": {
      "extension-definition--e022cef1-c8c1-48d1-a7de-06a4f0f298b7": {
        "extension_type": "property-extension",
        "encrypted_fields": {"<property name or JSON pointer>": "<compact JWE>"}
      }
    }

Clients that ignore the extension see a valid object without the property; a recipient holding
the private key calls :func:`open_protected_fields` to get the object back with the property in
place. Each JWE is bound to the object id, version and field (see :mod:`hub.crypto.delivery`).

Only optional properties can be delivered this way: removing a required one would make the
object invalid for clients that ignore the extension. The sharing layer decides which.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap
from joserfc.errors import JoseError
from joserfc.jwe import decrypt_compact
from joserfc.jwk import ECKey, OKPKey

from hub.crypto import pointer
from hub.crypto.delivery import (
    CONTEXT_HEADER,
    JWE_REGISTRY,
    RecipientKey,
    RecipientSealer,
    recipient_key,
)
from hub.crypto.errors import DecryptionFailed, InvalidValue

__all__ = [
    "EXTENSION_ID",
    "extension_definition",
    "open_protected_fields",
    "protect_fields",
]

EXTENSION_ID = "extension-definition--e022cef1-c8c1-48d1-a7de-06a4f0f298b7"
_CREATED = "2026-11-28T00:00:00.000Z"

SCHEMA = """\
Fusion Hub field encryption (property extension, version 1.0.0).

An object carrying this extension had some of its properties removed and delivered encrypted to
one recipient. The extension instance is a JSON object with exactly two properties:

  extension_type    the string "property-extension"
  encrypted_fields  a non-empty dictionary; each key names a removed property: a top-level
                    property name (e.g. "description"), or an RFC 6901 JSON pointer for a nested
                    one (e.g. "/external_references/0/url"); each value is an RFC 7516 JWE
                    Compact Serialization whose plaintext is the UTF-8 JSON of the property's
                    value.

Each JWE uses alg "ECDH-ES+A256KW" and enc "A256GCM" (RFC 7518) for the recipient's registered
X25519 or P-256 key (named by "kid"). Its protected header also has the parameter "fh":
{"id": <the object's id>, "modified": <the object's modified, or "" if it has none>,
"path": <the JSON pointer of the field>}. A recipient MUST check that "fh" matches the object
and the field the JWE was found under, and MUST otherwise reject the field. To restore the
object, decrypt each field, put its value back at its pointer and remove this extension.
"""


def extension_definition(created_by_ref: str) -> dict[str, Any]:
    """The extension-definition object (STIX 2.1 §7.3) the hub publishes as its operator."""
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": EXTENSION_ID,
        "created_by_ref": created_by_ref,
        "created": _CREATED,
        "modified": _CREATED,
        "name": "Fusion Hub field encryption",
        "description": "Properties removed from an object and delivered as JWE to one recipient.",
        "schema": SCHEMA,
        "version": "1.0.0",
        "extension_types": ["property-extension"],
    }


def _version(obj: Mapping[str, Any]) -> str:
    return str(obj.get("modified", ""))


def _key(path: str) -> str:
    tokens = pointer.parse(path)
    return tokens[0] if len(tokens) == 1 else path


def _order(path: str) -> list[tuple[int, int, str]]:
    """Sort key: array indexes numerically, so removals can go from the end."""
    return [(1, int(t), "") if t.isdigit() else (0, 0, t) for t in pointer.parse(path)]


def protect_fields(
    stix_obj: Mapping[str, Any],
    paths: Iterable[str],
    recipient: Mapping[str, Any] | RecipientKey,
) -> dict[str, Any]:
    """A copy of `stix_obj` with the fields at `paths` moved into the extension, as JWE for
    `recipient` (one ECDH for the whole object)."""
    obj: dict[str, Any] = orjson.loads(orjson.dumps(stix_obj))
    canonical = sorted({pointer.from_property(p) for p in paths}, key=_order, reverse=True)
    if not canonical:
        return obj
    sealer = RecipientSealer(recipient_key(recipient), str(obj.get("id", "")), _version(obj))
    extensions = obj.setdefault("extensions", {})
    instance = extensions.setdefault(
        EXTENSION_ID, {"extension_type": "property-extension", "encrypted_fields": {}}
    )
    for path in canonical:
        instance["encrypted_fields"][_key(path)] = sealer.seal(path, pointer.pop(obj, path))
    return obj


def _private_key(private_jwk: Mapping[str, Any] | OKPKey | ECKey) -> OKPKey | ECKey:
    if isinstance(private_jwk, OKPKey | ECKey):
        return private_jwk
    try:
        jwk = dict(private_jwk)
        key = OKPKey.import_key(jwk) if jwk.get("kty") == "OKP" else ECKey.import_key(jwk)
    except (JoseError, ValueError, TypeError) as exc:
        raise InvalidValue(f"not a usable private JWK: {exc}") from None
    if not key.is_private:
        raise InvalidValue("opening protected fields needs the private key")
    return key


def open_protected_fields(
    stix_obj: Mapping[str, Any], private_jwk: Mapping[str, Any] | OKPKey | ECKey
) -> dict[str, Any]:
    """Recipient side: the object with every field of the hub's extension decrypted and put back.

    `private_jwk` is the recipient's X25519 or P-256 private key (a JWK dict or a joserfc key).
    Returns a new object without the extension (other extensions are kept). If any field fails
    to decrypt, or its JWE was made for another object, version or field, raises
    :class:`hub.crypto.errors.DecryptionFailed` and returns nothing: never a partial result.
    Objects without the extension come back unchanged (as a copy).
    """
    key = _private_key(private_jwk)
    obj: dict[str, Any] = orjson.loads(orjson.dumps(stix_obj))
    extensions = obj.get("extensions")
    if not isinstance(extensions, dict) or EXTENSION_ID not in extensions:
        return obj
    instance = extensions.pop(EXTENSION_ID)
    if not extensions:
        del obj["extensions"]
    try:
        fields = instance["encrypted_fields"]
        if instance.get("extension_type") != "property-extension" or not isinstance(fields, dict):
            raise DecryptionFailed()
        opened: list[tuple[str, Any]] = []
        for name, token in fields.items():
            path = pointer.from_property(name)
            jwe = decrypt_compact(token, key, registry=JWE_REGISTRY)
            expected = {"id": obj.get("id", ""), "modified": _version(obj), "path": path}
            if jwe.protected.get(CONTEXT_HEADER) != expected or jwe.plaintext is None:
                raise DecryptionFailed()
            opened.append((path, orjson.loads(jwe.plaintext)))
        for path, value in sorted(opened, key=lambda pv: _order(pv[0])):
            pointer.put(obj, path, value)
    except (JoseError, InvalidTag, InvalidUnwrap, ValueError, TypeError, KeyError, InvalidValue):
        raise DecryptionFailed() from None
    return obj
