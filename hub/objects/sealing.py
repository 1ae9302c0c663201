"""Sealing object versions at rest, and opening them again: the hub's use of :mod:`hub.crypto`.

Publishing a version whose protected properties (:mod:`hub.sharing.protect`) are present:

1. a data key (:meth:`hub.crypto.KeyService.new_data_key`), wrapped by the publisher's tenant
   key and stored with the version (``wrapped_key``, ``key_id``). The versions sealed in one
   unit of work (a publication, a re-evaluation batch: :class:`DataKeys`) share one data key
   per publisher, for at most :data:`VERSIONS_PER_DATA_KEY` versions; every ciphertext still
   binds its own object id and version, so sharing a key moves nothing between versions, and a
   page of them is opened with one unwrap instead of one per row;
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

import functools
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from hub.crypto import DataKey, DecryptionFailed, InvalidValue, KeyService, ObjectContext
from hub.crypto.kms import wrapping_key_id
from hub.crypto.pointer import from_property, parse
from hub.sharing.extension import RED_RECIPIENTS_EXTENSION_ID

__all__ = [
    "MAC_FORMAT",
    "VERSIONS_PER_DATA_KEY",
    "DataKeys",
    "Sealed",
    "context_version",
    "mac_fields",
    "seal",
    "sealed_properties",
    "unseal",
]

#: The version of the row-MAC field set (:func:`mac_fields`).
MAC_FORMAT = "fh-row-1"
#: How many versions one fresh data key may seal before the next one is drawn.
VERSIONS_PER_DATA_KEY = 1000


class DataKeys:
    """The data keys of one unit of work: a page served, a publication, a re-evaluation batch.

    Each wrapped key is unwrapped once however many rows name it, and versions sealed afresh
    share one new data key per owner for up to :data:`VERSIONS_PER_DATA_KEY` versions. Opened
    keys live only as long as this object (never across requests), so a shredded tenant key is
    not outlived by a cache.
    """

    __slots__ = ("_fresh", "_opened", "keys")

    def __init__(self, keys: KeyService) -> None:
        self.keys = keys
        self._opened: dict[tuple[int, bytes], DataKey] = {}
        self._fresh: dict[int, tuple[DataKey, bytes, int]] = {}

    def open(self, owner_id: int, wrapped: bytes) -> DataKey:
        """The data key `wrapped` holds (:class:`DecryptionFailed` if it does not open)."""
        key = self._opened.get((owner_id, wrapped))
        if key is None:
            key = self._opened[(owner_id, wrapped)] = self.keys.open_data_key(owner_id, wrapped)
        return key

    def fresh(self, owner_id: int) -> tuple[DataKey, bytes]:
        """A new data key of `owner_id` for one more version, and its wrapped form."""
        current = self._fresh.get(owner_id)
        if current is None or current[2] >= VERSIONS_PER_DATA_KEY:
            key, wrapped = self.keys.new_data_key(owner_id)
            current = (key, wrapped, 0)
        self._fresh[owner_id] = (current[0], current[1], current[2] + 1)
        return current[0], current[1]


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
    keys: DataKeys,
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
        data_key, wrapped_key = keys.fresh(owner_id)
    else:
        data_key = keys.open(owner_id, wrapped_key)
    ctx = ObjectContext(owner_id, str(obj["id"]), context_version(obj))
    ciphertexts = dict(sealed or {})
    encrypt = keys.keys.encrypt_field
    for prop in present:
        pointer = from_property(prop)
        ciphertexts[pointer] = encrypt(data_key, ctx.field(pointer), obj[prop])
    clear = {k: v for k, v in obj.items() if k not in present}
    return Sealed(clear, ciphertexts, wrapped_key, wrapping_key_id(wrapped_key))


def unseal(
    keys: DataKeys,
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
    data_key = keys.open(owner_id, wrapped_key)
    ctx = ObjectContext(owner_id, str(clear.get("id", "")), context_version(clear))
    decrypt = keys.keys.decrypt_field
    for pointer, token in sealed.items():
        name = _property(pointer) if isinstance(pointer, str) else None
        if name is None or name in obj:
            raise DecryptionFailed()
        if name in skip:
            continue
        obj[name] = decrypt(data_key, ctx.field(pointer), token)
    return obj


@functools.lru_cache(maxsize=4096)
def _property(pointer: str) -> str | None:
    """The top-level property a sealed pointer names (None: not a one-token pointer)."""
    try:
        tokens = parse(pointer)
    except InvalidValue:
        return None
    return tokens[0] if len(tokens) == 1 else None


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
