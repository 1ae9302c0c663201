"""The audit chain's fixed encodings: canonical entries, the hash chain, checkpoint messages.

Canonical entry (version 1)
    ``orjson.dumps(fields, option=OPT_SORT_KEYS)`` — compact UTF-8 JSON, keys sorted at every
    level, no insignificant whitespace — of exactly these fields::

        v                  1
        seq                the entry's sequence number (integer)
        time               RFC 3339 UTC with microseconds, "2026-11-28T17:30:00.000000Z"
        action, outcome    strings
        tenant_id, tenant, client                 the actor (integer, slug, client id) or null
        subject_tenant_id, subject_tenant          the tenant the action concerns, or null
        collection         TAXII collection id or null
        objects            [[object_id, version], ...] in recorded order (versions as above)
        request_id, policy_hash                    strings or null
        details            a JSON object
        protected          hex SHA-256(nonce bytes || canonical JSON of the protected values),
                           or null; the values themselves are not part of the entry's hash
        nonce              32 hex digits, random per entry

    JSON values in `details` and `protected` are limited to strings without NUL, integers of at
    most 53 bits, booleans, null, lists and objects with string keys: exactly what survives a
    round trip through PostgreSQL ``jsonb`` unchanged (no floats).

Chain
    ``leaf(n) = SHA-256(canonical(n))`` and ``hash(n) = SHA-256(hash(n-1) || leaf(n))`` over raw
    32-byte digests, with ``hash(0)`` = 32 zero bytes. Hashing the leaf digest rather than the
    canonical bytes themselves lets the hub prove that the chain between two checkpoints was not
    rewritten by handing out leaf digests only (:mod:`hub.audit.proofs`), without revealing other
    tenants' entries; the random nonce keeps a leaf from confirming a guessed entry.

Checkpoint message (version 1)
    ``b"fusion-hub audit checkpoint v1\\n"`` followed by the canonical JSON of
    ``{"hash", "key_id", "kind", "seq", "time"}``; signed with Ed25519 (RFC 8032).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson

from hub.audit.errors import AuditError

__all__ = [
    "CANONICAL_VERSION",
    "CHECKPOINT_CONTEXT",
    "GENESIS",
    "canonical_entry",
    "chain_hash",
    "check_json",
    "checkpoint_message",
    "entry_fields",
    "iso_micros",
    "leaf_digest",
    "normalise_objects",
    "protected_digest",
]

CANONICAL_VERSION = 1
GENESIS = "00" * 32
CHECKPOINT_CONTEXT = b"fusion-hub audit checkpoint v1\n"
_MAX_INT = 2**53
_EPOCH = datetime(1970, 1, 1)  # naive UTC: isoformat() then prints no offset
_FIELDS = (
    "seq",
    "time",
    "action",
    "outcome",
    "actor_tenant_id",
    "actor_tenant",
    "actor_client",
    "subject_tenant_id",
    "subject_tenant",
    "collection_id",
    "objects",
    "request_id",
    "policy_hash",
    "details",
    "protected_digest",
    "nonce",
)


def iso_micros(us: int) -> str:
    """``2026-11-28T17:30:00.000000Z`` — same text as :func:`hub.timeutil.format_micros`,
    twice as fast (an entry may list a thousand versions)."""
    return (_EPOCH + timedelta(microseconds=us)).isoformat(timespec="microseconds") + "Z"


def check_json(value: Any, path: str = "details") -> None:
    """Raise :class:`AuditError` unless `value` survives a jsonb round trip byte for byte."""
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if not -_MAX_INT < value < _MAX_INT:
            raise AuditError(f"{path}: integer out of range")
        return
    if isinstance(value, str):
        if "\x00" in value:
            raise AuditError(f"{path}: NUL character")
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            check_json(item, f"{path}[{i}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise AuditError(f"{path}: keys must be strings")
            check_json(key, path)
            check_json(item, f"{path}.{key}")
        return
    raise AuditError(f"{path}: {type(value).__name__} is not allowed in the audit trail")


def canonical_entry(fields: Mapping[str, Any]) -> bytes:
    """The canonical bytes of an entry given its column values (see the module docstring)."""
    try:
        doc = {
            "v": CANONICAL_VERSION,
            "seq": fields["seq"],
            "time": iso_micros(fields["time"]),
            "action": fields["action"],
            "outcome": fields["outcome"],
            "tenant_id": fields["actor_tenant_id"],
            "tenant": fields["actor_tenant"],
            "client": fields["actor_client"],
            "subject_tenant_id": fields["subject_tenant_id"],
            "subject_tenant": fields["subject_tenant"],
            "collection": fields["collection_id"],
            "objects": fields["objects"],
            "request_id": fields["request_id"],
            "policy_hash": fields["policy_hash"],
            "details": fields["details"],
            "protected": fields["protected_digest"],
            "nonce": fields["nonce"],
        }
        return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    except (KeyError, TypeError, orjson.JSONEncodeError) as exc:
        raise AuditError(f"cannot encode audit entry: {exc}") from None


def leaf_digest(fields: Mapping[str, Any]) -> bytes:
    """SHA-256 of the canonical entry."""
    return hashlib.sha256(canonical_entry(fields)).digest()


def chain_hash(prev_hash: str, leaf: bytes) -> str:
    """``SHA-256(prev || leaf)`` as 64 hex digits; `prev_hash` is hex."""
    try:
        prev = bytes.fromhex(prev_hash)
    except ValueError:
        prev = b""
    if len(prev) != 32:
        raise AuditError("a chain hash must be 32 bytes of hex")
    return hashlib.sha256(prev + leaf).hexdigest()


def protected_digest(nonce: str, protected: Mapping[str, Any] | None) -> str | None:
    """The commitment to an entry's protected values, or None when it has none."""
    if protected is None:
        return None
    body = orjson.dumps(protected, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(bytes.fromhex(nonce) + body).hexdigest()


def checkpoint_message(seq: int, hash_: str, time: int, kind: str, key_id: str) -> bytes:
    """The bytes a checkpoint's signature covers."""
    doc = {"hash": hash_, "key_id": key_id, "kind": kind, "seq": seq, "time": iso_micros(time)}
    return CHECKPOINT_CONTEXT + orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


def entry_fields(row: Any) -> dict[str, Any]:
    """The hashed fields of a row (a SQLAlchemy row or mapping with the column names)."""
    mapping = row._mapping if hasattr(row, "_mapping") else row
    return {name: mapping[name] for name in _FIELDS}


def normalise_objects(objects: Sequence[Sequence[Any]]) -> list[list[str]]:
    """``[[object_id, version], ...]`` with versions as TAXII timestamps (ints are microseconds)."""
    out: list[list[str]] = []
    for item in objects:
        if len(item) != 2:
            raise AuditError("objects must be [object_id, version] pairs")
        object_id, version = item
        if isinstance(version, int) and not isinstance(version, bool):
            version = iso_micros(version)
        if not isinstance(object_id, str) or not isinstance(version, str):
            raise AuditError("objects must be [object_id, version] pairs")
        check_json(object_id, "objects")
        check_json(version, "objects")
        out.append([object_id, version])
    return out
