"""Row MACs: integrity of the clear metadata that decides who receives plaintext.

Owner, TLP, markings and grants stay in clear columns (the hub filters on them), so a database
writer could otherwise widen an object's audience by editing a TLP. Each row carries::

    fh1.HS256.<root key id>.<base64url(HMAC-SHA256(mac key, message))>

where the MAC key is HKDF-derived from the tenant root (RFC 5869;
:attr:`hub.crypto.tenant_keys.TenantRoot.mac_key`) and the message is
``encode_context("row-mac", tenant id, root key id)`` followed by the canonical JSON (sorted keys)
of `fields` (HMAC: RFC 2104; FIPS 198-1). The hub verifies it before it decrypts anything.

`fields` must name the row as well as its metadata — at least the object id and version — or a
MAC could be copied along with the metadata of another row. Lists whose order carries no meaning
(markings, grants) must be sorted by the caller: the MAC covers exactly the JSON it is given.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from hub.crypto._encoding import FORMAT, b64d, b64e, canonical_json
from hub.crypto.errors import DecryptionFailed
from hub.crypto.tenant_keys import TenantRoot

__all__ = ["MAC_ALG", "mac_key_id", "row_mac", "verify_row_mac"]

MAC_ALG = "HS256"


def _tag(root: TenantRoot, fields: Mapping[str, Any]) -> bytes:
    msg = root.mac_prefix + canonical_json(fields if type(fields) is dict else dict(fields))
    return root.mac(msg)


def row_mac(root: TenantRoot, fields: Mapping[str, Any]) -> str:
    """The MAC of a row's access-deciding metadata under the tenant's MAC key."""
    return f"{FORMAT}.{MAC_ALG}.{root.key_id}.{b64e(_tag(root, fields))}"


def mac_key_id(mac: object) -> str:
    """The root key id a MAC names; :class:`DecryptionFailed` if it is not a MAC of ours."""
    if not isinstance(mac, str):
        raise DecryptionFailed()
    parts = mac.split(".")
    if len(parts) != 4 or parts[0] != FORMAT or parts[1] != MAC_ALG or not parts[2]:
        raise DecryptionFailed()
    return parts[2]


def verify_row_mac(root: TenantRoot, fields: Mapping[str, Any], mac: object) -> None:
    """Check a row MAC in constant time; any mismatch is the opaque :class:`DecryptionFailed`."""
    if mac_key_id(mac) != root.key_id:
        raise DecryptionFailed()
    assert isinstance(mac, str)
    given = b64d(mac.rsplit(".", 1)[1])
    if not hmac.compare_digest(given, _tag(root, fields)):
        raise DecryptionFailed()
