"""Sealing object versions at rest, and opening them again: the hub's use of :mod:`hub.crypto`.

Publishing a version whose protected properties (:mod:`hub.sharing.protect`) are present:

1. one data key per version (:meth:`hub.crypto.KeyService.new_data_key`), wrapped by the
   publisher's tenant key and stored with the version (``wrapped_key``, ``key_id``);
2. each protected property's value is encrypted (AES-256-GCM, NIST SP 800-38D) with associated
   data binding tenant, object id, version, the property's JSON pointer (RFC 6901) and the data
   key id (:class:`hub.crypto.ObjectContext`), and removed from the stored body; the ciphertexts
   go to the storage-only ``sealed`` map {pointer: ciphertext};
3. a row MAC (HMAC-SHA256, RFC 2104) binds what decides who gets plaintext: owner, TLP, data
   markings (STIX 2.1 §7.2), the TLP:RED recipients, which properties are sealed and the
   recipients with their field profiles (:func:`mac_fields`). It is recomputed whenever the
   grants change and verified before anything is decrypted.

The version string in the associated data is the object's ``modified`` (else ``created``, else
empty, for SCOs, which have a single version) exactly as stored; the MAC binds it too, so a
ciphertext cannot be replayed into another version of the same object.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from hub.crypto import DecryptionFailed, InvalidValue, KeyService, ObjectContext
from hub.crypto.kms import wrapping_key_id
from hub.crypto.pointer import from_property, parse
from hub.sharing.extension import RED_RECIPIENTS_EXTENSION_ID

__all__ = [
    "MAC_FORMAT",
    "Sealed",
    "context_version",
    "mac_fields",
    "seal",
    "sealed_properties",
    "unseal",
]

#: The version of the row-MAC field set (:func:`mac_fields`).
MAC_FORMAT = "fh-row-1"


@dataclass(frozen=True, slots=True)
class Sealed:
    """A version as stored: the clear remainder, its ciphertexts and its wrapped data key."""

    clear: dict[str, Any]
    sealed: dict[str, str]
    wrapped_key: bytes
    key_id: str

    @property
    def body(self) -> bytes:
        """The stored JSON of the clear remainder."""
        return orjson.dumps(self.clear)


def context_version(obj: Mapping[str, Any]) -> str:
    """The version string the associated data binds (the stored ``modified``/``created``)."""
    return str(obj.get("modified") or obj.get("created") or "")


def sealed_properties(sealed: Mapping[str, Any] | None) -> frozenset[str]:
    """The top-level property names a ``sealed`` map holds (malformed keys are skipped)."""
    out: set[str] = set()
    for pointer in sealed or {}:
        try:
            tokens = parse(pointer)
        except InvalidValue:
            continue
        if len(tokens) == 1:
            out.add(tokens[0])
    return frozenset(out)


def seal(
    keys: KeyService,
    owner_id: int,
    obj: Mapping[str, Any],
    props: Collection[str],
    *,
    wrapped_key: bytes | None = None,
    sealed: Mapping[str, str] | None = None,
) -> Sealed | None:
    """Seal the properties `props` of `obj` (None if none is present).

    With `wrapped_key` (and the version's existing `sealed` map) more properties are sealed
    under the version's existing data key: a re-seal after a policy protects more.
    """
    present = sorted(p for p in props if p in obj)
    if not present:
        return None
    if wrapped_key is None:
        data_key, wrapped_key = keys.new_data_key(owner_id)
    else:
        data_key = keys.open_data_key(owner_id, wrapped_key)
    ctx = ObjectContext(owner_id, str(obj["id"]), context_version(obj))
    ciphertexts = dict(sealed or {})
    for prop in present:
        pointer = from_property(prop)
        ciphertexts[pointer] = keys.encrypt_field(data_key, ctx.field(pointer), obj[prop])
    clear = {k: v for k, v in obj.items() if k not in present}
    return Sealed(clear, ciphertexts, wrapped_key, wrapping_key_id(wrapped_key))


def unseal(
    keys: KeyService,
    owner_id: int,
    clear: Mapping[str, Any],
    sealed: Mapping[str, Any],
    wrapped_key: bytes | None,
    *,
    skip: Collection[str] = (),
) -> dict[str, Any]:
    """The object with its sealed properties decrypted and put back (except those in `skip`).

    Opens the data key once. Anything wrong — a missing or foreign key, a ciphertext edited or
    moved, a sealed property also present in clear — is :class:`DecryptionFailed`, whole.
    """
    obj = dict(clear)
    if not sealed:
        return obj
    if wrapped_key is None:
        raise DecryptionFailed()
    data_key = keys.open_data_key(owner_id, wrapped_key)
    ctx = ObjectContext(owner_id, str(clear.get("id", "")), context_version(clear))
    for pointer, token in sealed.items():
        try:
            tokens = parse(pointer) if isinstance(pointer, str) else []
        except InvalidValue:
            raise DecryptionFailed() from None
        if len(tokens) != 1 or tokens[0] in obj:
            raise DecryptionFailed()
        if tokens[0] in skip:
            continue
        obj[tokens[0]] = keys.decrypt_field(data_key, ctx.field(pointer), token)
    return obj


def mac_fields(
    *,
    clear: Mapping[str, Any],
    object_id: str,
    version: int,
    owner_id: int,
    tlp: str | None,
    sealed: Iterable[str] | None,
    recipients: Mapping[str, str] | None,
) -> dict[str, Any]:
    """What a version's row MAC covers (docs/crypto.md "Row MAC"; canonical JSON, keys sorted).

    `clear` is the stored body: its data markings, TLP:RED recipients and version string are
    never sealed, so writer and reader see the same values. `sealed` names the JSON pointers
    of the sealed properties (a ``sealed`` map will do).
    """
    extensions = clear.get("extensions")
    red = extensions.get(RED_RECIPIENTS_EXTENSION_ID) if isinstance(extensions, dict) else None
    return {
        "format": MAC_FORMAT,
        "id": object_id,
        "version": version,
        "modified": context_version(clear),
        "owner": owner_id,
        "tlp": tlp,
        "object_marking_refs": clear.get("object_marking_refs"),
        "granular_markings": clear.get("granular_markings"),
        "red_recipients": red,
        "sealed": sorted(sealed or ()),
        "recipients": dict(recipients or {}),
    }
