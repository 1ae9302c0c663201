"""Row MACs over the clear metadata that decides who receives plaintext."""

from __future__ import annotations

import os
from typing import Any

import pytest

from hub.crypto.errors import DecryptionFailed
from hub.crypto.mac import mac_key_id, row_mac, verify_row_mac
from hub.crypto.tenant_keys import TenantRoot

ROOT = TenantRoot(3, "t3-root-0001", os.urandom(32))
ROW: dict[str, Any] = {
    "object_id": "indicator--2f1e0a7c-0000-4000-8000-000000000001",
    "version": "2026-11-01T10:00:00.000Z",
    "owner": 3,
    "tlp": "amber+strict",
    "markings": ["marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"],
    "grants": [5, 9],
}


def test_verifies_and_is_independent_of_key_order() -> None:
    mac = row_mac(ROOT, ROW)
    assert mac.startswith("fh1.HS256.t3-root-0001.")
    assert mac_key_id(mac) == ROOT.key_id
    verify_row_mac(ROOT, dict(reversed(list(ROW.items()))), mac)
    assert row_mac(ROOT, ROW) == mac  # deterministic


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tlp", "clear"),  # the edit the MAC exists to catch
        ("tlp", "green"),
        ("owner", 4),
        ("grants", [5, 9, 11]),
        ("markings", []),
        ("object_id", "indicator--2f1e0a7c-0000-4000-8000-000000000002"),
        ("version", "2026-11-02T10:00:00.000Z"),
    ],
)
def test_an_edited_field_is_detected(field: str, value: Any) -> None:
    mac = row_mac(ROOT, ROW)
    with pytest.raises(DecryptionFailed):
        verify_row_mac(ROOT, {**ROW, field: value}, mac)


def test_added_or_removed_fields_are_detected() -> None:
    mac = row_mac(ROOT, ROW)
    with pytest.raises(DecryptionFailed):
        verify_row_mac(ROOT, {**ROW, "extra": True}, mac)
    with pytest.raises(DecryptionFailed):
        verify_row_mac(ROOT, {k: v for k, v in ROW.items() if k != "grants"}, mac)


def test_another_tenants_key_or_a_forged_mac_fails() -> None:
    mac = row_mac(ROOT, ROW)
    other = TenantRoot(4, "t3-root-0001", os.urandom(32))  # same key id, other tenant and key
    with pytest.raises(DecryptionFailed):
        verify_row_mac(other, ROW, mac)
    same_bytes_other_tenant = TenantRoot(4, ROOT.key_id, ROOT._root)
    with pytest.raises(DecryptionFailed):
        verify_row_mac(same_bytes_other_tenant, ROW, mac)
    for forged in (
        None,
        "",
        mac.replace("HS256", "HS384"),
        mac.replace("fh1.", "fh0."),
        mac[:-2] + ("AA" if not mac.endswith("AA") else "BA"),
        mac.rsplit(".", 1)[0] + ".",
        mac.replace(ROOT.key_id, "t3-root-0002"),
    ):
        with pytest.raises(DecryptionFailed):
            verify_row_mac(ROOT, ROW, forged)


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 500, 4096])
def test_the_mac_is_hmac_sha256_under_the_derived_key(size: int) -> None:
    """The precomputed-pad HMAC equals RFC 2104 HMAC-SHA256 (the standard library's)."""
    import hmac

    root = TenantRoot(7, "t7-root-0001", os.urandom(32))
    message = os.urandom(size)
    assert root.mac(message) == hmac.digest(root.mac_key, message, "sha256")
    assert root.mac(message) == root.mac(message)  # the pads are not consumed


def test_the_mac_matches_rfc_4231_test_case_2() -> None:
    root = TenantRoot(7, "t7-root-0001", os.urandom(32))
    root._mac_key = b"Jefe"  # the RFC's key, in place of the HKDF-derived one
    tag = root.mac(b"what do ya want for nothing?")
    assert tag.hex() == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
