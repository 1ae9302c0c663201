"""Every SQL statement on the field-encryption columns of ``object_version`` (docs/crypto.md).

``sealed`` (JSON pointer → field ciphertext), ``wrapped_key`` (the version's data key, wrapped
by tenant key ``key_id``), ``mac`` (the row MAC) and ``recipients`` (reader id → profile
digest, bound by the MAC). The store knows no policy and no key: callers bring the values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from hub.store.models import ObjectVersion, Tenant

__all__ = [
    "PageRow",
    "Protection",
    "ProtectionUpdate",
    "clear_sealed",
    "key_usage",
    "protection_of",
    "protection_row",
    "public_keys",
    "set_protection",
    "set_wrapped_key",
    "versions_wrapped_by",
]

V = ObjectVersion.__table__  # type: ignore[attr-defined]
T = Tenant.__table__  # type: ignore[attr-defined]
_CHUNK = 500


class Protection(NamedTuple):
    """The field-encryption columns of a version with a row MAC (docs/crypto.md)."""

    object_id: str
    version: int
    owner_id: int
    tlp: str | None
    mac: str
    recipients: dict[str, str] | None
    sealed: dict[str, str] | None
    wrapped_key: bytes | None
    version_body: str | None  # the version's own body when the page row serves a view
    digest: str | None  # the view's profile digest (None: the version as published)
    profile: dict[str, Any] | None


class PageRow(NamedTuple):
    """One object of a page: the stored text, and what unsealing it needs (None: nothing)."""

    date_added: int
    body: str
    protection: Protection | None
    object_id: str = ""
    version: int = 0


@dataclass(slots=True)
class ProtectionUpdate:
    """New field-encryption columns of one version.

    With `body` the version was re-sealed (body, ciphertexts and data key change); with
    `forget` its ciphertexts and data key are dropped (its keys were destroyed, or it no longer
    needs protection).
    """

    seq: int
    mac: str | None
    recipients: dict[str, str] | None
    body: bytes | None = None
    sealed: dict[str, str] | None = None
    wrapped_key: bytes | None = None
    key_id: str | None = None
    forget: bool = False


def protection_row(r: Any) -> Protection:
    """The :class:`Protection` of a row of :func:`hub.store.objects.page_objects`."""
    return Protection(
        object_id=r[3],
        version=r[4],
        owner_id=r[5],
        tlp=r[6],
        mac=r[2],
        recipients=r[7],
        sealed=r[8],
        wrapped_key=None if r[9] is None else bytes(r[9]),
        version_body=r[10],
        digest=r[11],
        profile=r[12],
    )


def protection_of(session: Session, seqs: Sequence[int]) -> dict[int, sa.Row[Any]]:
    """seq → (seq, tlp, owner_id, mac, recipients, sealed, wrapped_key) of these versions."""
    out: dict[int, sa.Row[Any]] = {}
    for i in range(0, len(seqs), _CHUNK):
        rows = session.execute(
            sa.select(
                V.c.seq, V.c.tlp, V.c.owner_id, V.c.mac, V.c.recipients, V.c.sealed, V.c.wrapped_key
            ).where(V.c.seq.in_(list(seqs[i : i + _CHUNK])))
        )
        out.update((int(r.seq), r) for r in rows)
    return out


def set_protection(session: Session, updates: Sequence[ProtectionUpdate]) -> None:
    """Store new row MACs and recipients (and re-sealed or forgotten ciphertexts).

    One `executemany` per kind of update, not a statement per row.
    """
    plain: list[dict[str, Any]] = []
    forgotten: list[dict[str, Any]] = []
    resealed: list[dict[str, Any]] = []
    for u in updates:
        row: dict[str, Any] = {"s": u.seq, "m": u.mac, "r": u.recipients}
        if u.forget:
            forgotten.append(row)
        elif u.body is not None:
            row.update(b=u.body, x=u.sealed, w=u.wrapped_key, k=u.key_id)
            resealed.append(row)
        else:
            plain.append(row)
    stmt = sa.update(V).where(V.c.seq == sa.bindparam("s"))
    protection = {
        "mac": sa.bindparam("m"),
        "recipients": sa.bindparam("r", type_=V.c.recipients.type),
    }
    if plain:
        session.execute(stmt.values(**protection), plain)
    if forgotten:
        forget = {"sealed": None, "wrapped_key": None, "key_id": None}
        session.execute(stmt.values(**protection, **forget), forgotten)
    if resealed:
        sealing = {
            "body": sa.bindparam("b", type_=V.c.body.type),
            "sealed": sa.bindparam("x", type_=V.c.sealed.type),
            "wrapped_key": sa.bindparam("w", type_=V.c.wrapped_key.type),
            "key_id": sa.bindparam("k"),
        }
        session.execute(stmt.values(**protection, **sealing), resealed)


def versions_wrapped_by(
    session: Session, owner_id: int, key_ids: Sequence[str], limit: int
) -> list[tuple[int, str, bytes]]:
    """(seq, key id, wrapped data key) of versions whose data key one of `key_ids` wraps."""
    rows = session.execute(
        sa.select(V.c.seq, V.c.key_id, V.c.wrapped_key)
        .where(V.c.owner_id == owner_id, V.c.key_id.in_(list(key_ids)))
        .order_by(V.c.seq)
        .limit(limit)
    )
    return [(int(r[0]), str(r[1]), bytes(r[2])) for r in rows]


def set_wrapped_key(
    session: Session, seq: int, old_key_id: str, wrapped: bytes, key_id: str
) -> bool:
    """Replace a version's wrapped data key if still wrapped by `old_key_id` (optimistic)."""
    stmt = (
        sa.update(V)
        .where(V.c.seq == seq, V.c.key_id == old_key_id)
        .values(wrapped_key=wrapped, key_id=key_id)
    )
    return bool(cast(CursorResult[Any], session.execute(stmt)).rowcount)


def key_usage(session: Session, owner_id: int | None = None) -> dict[tuple[int, str], int]:
    """(owner, tenant key id) → versions whose data key it wraps."""
    stmt = (
        sa.select(V.c.owner_id, V.c.key_id, sa.func.count())
        .where(V.c.key_id.is_not(None))
        .group_by(V.c.owner_id, V.c.key_id)
    )
    if owner_id is not None:
        stmt = stmt.where(V.c.owner_id == owner_id)
    return {(int(r[0]), str(r[1])): int(r[2]) for r in session.execute(stmt)}


def clear_sealed(session: Session, owner_id: int, limit: int) -> int:
    """Forget the ciphertexts, data keys and MACs of up to `limit` versions of a shredded owner.

    Their keys are destroyed, so nothing here can be opened any more; the rows are served as
    their clear remainder from then on. Returns how many rows changed.
    """
    seqs: list[int] = list(
        session.execute(
            sa.select(V.c.seq)
            .where(V.c.owner_id == owner_id, V.c.mac.is_not(None) | V.c.sealed.is_not(None))
            .limit(limit)
        ).scalars()
    )
    if not seqs:
        return 0
    session.execute(
        sa.update(V)
        .where(V.c.seq.in_(seqs))
        .values(sealed=None, wrapped_key=None, key_id=None, mac=None, recipients=None)
    )
    return len(seqs)


def public_keys(session: Session, tenant_id: int) -> list[dict[str, Any]]:
    """The public JWKs a tenant registered for fields delivered to it encrypted."""
    value = session.execute(sa.select(T.c.public_keys).where(T.c.id == tenant_id)).scalar()
    return [k for k in value if isinstance(k, dict)] if isinstance(value, list) else []
