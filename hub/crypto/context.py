"""The encryption context: what a field ciphertext is bound to.

The associated data (RFC 5116 §2.1; NIST SP 800-38D §5.2.1.1 "A") of a field ciphertext is the
canonical encoding (:func:`hub.crypto._encoding.encode_context`) of::

    "fh1", "field", tenant id, object id, modified, field path, algorithm, key id

so a ciphertext copied to another tenant, object, version, field or key fails to decrypt.
:class:`ObjectContext` precomputes the per-object prefix once; :meth:`ObjectContext.field` gives
the per-field :class:`FieldContext` cheaply. Both are immutable values.
"""

from __future__ import annotations

from typing import Any

from hub.crypto._encoding import encode_context
from hub.crypto.pointer import from_property

__all__ = ["FieldContext", "ObjectContext", "aad_suffix"]


def _lp(raw: bytes) -> bytes:
    return len(raw).to_bytes(4, "big") + raw


def aad_suffix(alg: str, kid: str) -> bytes:
    """The tail of a field's associated data: algorithm and key id (precomputed per key)."""
    return _lp(alg.encode()) + _lp(kid.encode())


class ObjectContext:
    """One version of one object of one tenant.

    `modified` is the version's ``modified`` exactly as stored in the object's JSON (for objects
    without one, the string the store uses as their version); writer and reader must pass the
    same string.
    """

    __slots__ = ("_prefix", "modified", "object_id", "tenant_id")

    tenant_id: int
    object_id: str
    modified: str
    _prefix: bytes

    def __init__(self, tenant_id: int, object_id: str, modified: str) -> None:
        object.__setattr__(self, "tenant_id", tenant_id)
        object.__setattr__(self, "object_id", object_id)
        object.__setattr__(self, "modified", modified)
        object.__setattr__(self, "_prefix", encode_context("field", tenant_id, object_id, modified))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("ObjectContext is immutable")

    def __repr__(self) -> str:
        return f"ObjectContext({self.tenant_id!r}, {self.object_id!r}, {self.modified!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ObjectContext) and self._prefix == other._prefix

    def __hash__(self) -> int:
        return hash(self._prefix)

    def field(self, path: str) -> FieldContext:
        """The context of the field at `path` (a JSON pointer, or a top-level property name)."""
        return FieldContext(self, path)


class FieldContext:
    """One field (JSON pointer `path`, RFC 6901) of one object version."""

    __slots__ = ("_partial", "obj", "path")

    obj: ObjectContext
    path: str
    _partial: bytes

    def __init__(self, obj: ObjectContext, path: str) -> None:
        canonical = from_property(path)
        object.__setattr__(self, "obj", obj)
        object.__setattr__(self, "path", canonical)
        object.__setattr__(self, "_partial", obj._prefix + _lp(canonical.encode()))

    @classmethod
    def of(cls, tenant_id: int, object_id: str, modified: str, path: str) -> FieldContext:
        """Shorthand for ``ObjectContext(tenant_id, object_id, modified).field(path)``."""
        return cls(ObjectContext(tenant_id, object_id, modified), path)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("FieldContext is immutable")

    def __repr__(self) -> str:
        return f"FieldContext({self.obj!r}, {self.path!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldContext) and self._partial == other._partial

    def __hash__(self) -> int:
        return hash(self._partial)

    @property
    def tenant_id(self) -> int:
        """The tenant whose key protects the field."""
        return self.obj.tenant_id

    @property
    def object_id(self) -> str:
        """The STIX id of the object."""
        return self.obj.object_id

    @property
    def modified(self) -> str:
        """The object version."""
        return self.obj.modified

    def aad(self, alg: str, kid: str) -> bytes:
        """The associated data for a ciphertext of this field under `alg` and key `kid`."""
        return self._partial + aad_suffix(alg, kid)
