"""Serving protected versions: verify, unseal, apply the recipient's profile, seal to its key.

Pages are served as stored bytes (:func:`hub.store.objects.page_objects`); only rows of versions
with a row MAC come here. For each such row, per reader:

1. the row MAC is verified over the version's access-deciding metadata and its recipients, and
   the reader must be one of those recipients with exactly the field profile its grant names
   (the profile's digest is recomputed): an edited grant, marking or TLP never yields plaintext;
2. the data key is opened once and the sealed properties the profile does not redact are
   decrypted (:func:`hub.objects.sealing.unseal`);
3. the profile is applied (:func:`hub.sharing.apply.apply_profile`): ``share`` → in clear,
   ``redact`` → absent, ``encrypt`` → removed, then delivered as compact JWE (RFC 7516) to the
   reader's registered key inside the hub's property extension (STIX 2.1 §7.3;
   :mod:`hub.crypto.extension`), one :class:`hub.crypto.RecipientSealer` per reader and version.
   A reader without a registered key gets those fields redacted.

Any failure to verify or open (:class:`hub.crypto.DecryptionFailed`) serves the stored clear
remainder instead — the protected fields absent, never a partial plaintext, never an error —
and is logged without detail and audited. A key provider that does not answer is a 503.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy.orm import Session

from hub.crypto import EXTENSION_ID, DecryptionFailed, InvalidValue, RecipientSealer
from hub.crypto import pointer as jp
from hub.crypto.delivery import RecipientKey
from hub.objects.protection import FieldProtection, protection_for, recipient_for
from hub.objects.sealing import DataKeys, mac_fields, sealed_properties, unseal
from hub.sharing.apply import apply_profile
from hub.sharing.decision import FieldProfile, SharingError
from hub.store.sealed import PageRow, Protection
from hub.types import TenantScope

__all__ = ["deliver_encrypted", "render_page"]

log = logging.getLogger("hub.crypto")
_FULL = FieldProfile()
_UNSET: Any = object()


def _pointer(selector: str) -> str:
    """The JSON pointer (RFC 6901) of a granular-marking selector (STIX 2.1 §7.2.3.1)."""
    tokens = [p[1:-1] if p.startswith("[") else p for p in selector.split(".")]
    return jp.to_pointer(tokens)


def _order(pointer: str) -> list[tuple[int, int, str]]:
    return [(1, int(t), "") if t.isdigit() else (0, 0, t) for t in jp.parse(pointer)]


def _marked(obj: Mapping[str, Any], selector: str) -> bool:
    """Does a granular marking select `selector` or something inside it?"""
    markings = obj.get("granular_markings")
    if not isinstance(markings, list):
        return False
    prefix = selector + "."
    for marking in markings:
        selectors = marking.get("selectors") if isinstance(marking, dict) else None
        if isinstance(selectors, list) and any(
            s == selector or (isinstance(s, str) and s.startswith(prefix)) for s in selectors
        ):
            return True
    return False


def deliver_encrypted(
    full: Mapping[str, Any],
    served: dict[str, Any],
    profile: FieldProfile,
    recipient: RecipientKey,
) -> dict[str, Any]:
    """`served` with the profile's ``encrypt`` fields added back as JWE for `recipient`.

    A field is delivered only if the recipient restores exactly the object it would have had
    with the field shared (so a list the profile pruned cannot misplace it), and only if no
    granular marking marks it (the marking could not travel inside the JWE); otherwise it stays
    redacted.
    """
    fields: list[tuple[str, Any]] = []
    withheld: list[str] = []
    for selector in profile.encrypt:
        pointer = _pointer(selector)
        try:
            value = jp.get(full, pointer)
        except InvalidValue:
            continue
        if _marked(full, selector):
            withheld.append(selector)
        else:
            fields.append((pointer, value))
    if not fields:
        return served
    target = apply_profile(
        full, FieldProfile(tuple(sorted({*profile.redact, *withheld})), (), profile.drop_refs)
    )
    trial = orjson.loads(orjson.dumps(served))
    try:
        for pointer, value in sorted(fields, key=lambda f: _order(f[0])):
            jp.put(trial, pointer, value)
    except InvalidValue:
        return served
    if trial != target:
        return served
    sealer = RecipientSealer(recipient, str(served.get("id", "")), str(served.get("modified", "")))
    encrypted = {}
    for pointer, value in fields:
        tokens = jp.parse(pointer)
        encrypted[tokens[0] if len(tokens) == 1 else pointer] = sealer.seal(pointer, value)
    extensions = served.get("extensions")
    out = dict(served)
    out["extensions"] = {
        **(extensions if isinstance(extensions, dict) else {}),
        EXTENSION_ID: {"extension_type": "property-extension", "encrypted_fields": encrypted},
    }
    return out


class _Renderer:
    """One page's protected rows, for one reader."""

    def __init__(self, session: Session, scope: TenantScope, protection: FieldProtection) -> None:
        self.session = session
        self.scope = scope
        self.protection = protection
        self.data_keys = DataKeys(protection.keys)
        self.failures: list[Protection] = []
        self._recipient: Any = _UNSET

    def recipient(self) -> RecipientKey | None:
        if self._recipient is _UNSET:
            self._recipient = recipient_for(self.session, self.scope.tenant_id)
        return self._recipient  # type: ignore[no-any-return]

    def render(self, row: PageRow, p: Protection) -> str:
        try:
            return orjson.dumps(self._open(row, p)).decode()
        except (DecryptionFailed, InvalidValue, SharingError, ValueError, TypeError, KeyError):
            self._failed(p)
            return _clear_remainder(row.body, p)

    def _open(self, row: PageRow, p: Protection) -> dict[str, Any]:
        clear = orjson.loads(p.version_body or row.body)
        if not isinstance(clear, dict) or clear.get("id") != p.object_id:
            raise DecryptionFailed()
        digest = p.digest or ""
        if (p.recipients or {}).get(str(self.scope.tenant_id)) != digest:
            raise DecryptionFailed()  # not a recipient the MAC names, or another profile
        profile = _FULL
        if digest:
            profile = FieldProfile.from_json(p.profile or {})
            if profile.digest != digest:
                raise DecryptionFailed()
        keys = self.protection.keys
        fields = mac_fields(
            clear=clear,
            object_id=p.object_id,
            version=p.version,
            owner_id=p.owner_id,
            tlp=p.tlp,
            sealed=p.sealed or {},
            recipients=p.recipients,
        )
        keys.verify_row_mac(p.owner_id, fields, p.mac)
        skip = {s for s in profile.redact if "." not in s}
        recipient = self.recipient() if profile.encrypt else None
        if recipient is None:
            skip.update(s for s in profile.encrypt if "." not in s)
        full = unseal(self.data_keys, p.owner_id, clear, p.sealed or {}, p.wrapped_key, skip=skip)
        if profile.is_full:
            return full
        served = apply_profile(full, profile)
        if recipient is not None:
            served = deliver_encrypted(full, served, profile, recipient)
        return served

    def _failed(self, p: Protection) -> None:
        log.warning(
            "protected fields withheld: the stored version did not verify",
            extra={"event": "decrypt_failure", "object_id": p.object_id, "version": p.version},
        )
        self.failures.append(p)


def _clear_remainder(body: str, p: Protection) -> str:
    """The stored clear remainder, without granular-marking selectors left dangling."""
    try:
        obj = orjson.loads(body)
        gone = tuple(sorted(sealed_properties(p.sealed)))
        if not gone or not isinstance(obj, dict):
            return body
        return orjson.dumps(apply_profile(obj, FieldProfile(redact=gone))).decode()
    except (orjson.JSONDecodeError, SharingError, ValueError, TypeError, KeyError):
        return body


def _audit_failures(
    protection: FieldProtection, scope: TenantScope, failures: Sequence[Protection]
) -> None:
    """One audit entry per object whose protected fields were withheld (one commit per page)."""
    try:
        from hub.audit import Actor, AuditEvent, AuditLog, TenantRef

        actor = Actor(TenantRef(scope.tenant_id, scope.slug), None)
        events = [
            AuditEvent.decrypt_failure(
                actor,
                collection_id=None,
                object_id=p.object_id,
                version=p.version,
                reason="row MAC, data key or field did not verify",
                owner=TenantRef(p.owner_id, None),
            )
            for p in failures
        ]
        AuditLog.record_many(protection.keys.db, events)
    except Exception:  # the audit trail must not turn a withheld field into a failed read
        log.exception("could not audit a decryption failure")


def render_page(
    session: Session, scope: TenantScope, rows: Sequence[PageRow]
) -> list[tuple[int, str]]:
    """(date_added, JSON text) of each row: stored bytes, or the reader's unsealed object."""
    renderer: _Renderer | None = None
    out: list[tuple[int, str]] = []
    for row in rows:
        p = row.protection
        if p is None:
            out.append((row.date_added, row.body))
            continue
        if renderer is None:
            renderer = _Renderer(session, scope, protection_for(session))
        out.append((row.date_added, renderer.render(row, p)))
    if renderer is not None and renderer.failures:
        _audit_failures(renderer.protection, scope, renderer.failures)
    return out
