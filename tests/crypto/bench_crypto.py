"""Crypto speed on one core (a measurement, not a test): ``python -m tests.crypto.bench_crypto``.

Prints operations per second for field encryption and decryption, data-key wrap and unwrap,
tenant-key unwrap by the local provider (and by SoftHSM2 when ``--hsm`` and it is installed), row
MACs, blind indexes, and JWE delivery per field and per object version.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from joserfc.jwk import ECKey, OKPKey

from hub.crypto.blind_index import BlindIndex, FieldKind, blind_index
from hub.crypto.context import ObjectContext
from hub.crypto.delivery import RecipientSealer, encrypt_for_recipient, recipient_key
from hub.crypto.extension import open_protected_fields, protect_fields
from hub.crypto.fields import decrypt_field, encrypt_field
from hub.crypto.keyring import LocalKeyring
from hub.crypto.kms_local import LocalKeyProvider
from hub.crypto.mac import row_mac, verify_row_mac
from hub.crypto.tenant_keys import TenantKey, TenantRoot, tenant_key_aad

VALUE = "C2 server at 198.51.100.7, operated by cell SANDSTORM"  # a typical short field


def rate(fn: Callable[[], Any], seconds: float = 0.6) -> float:
    """Calls per second of CPU time of `fn` over about `seconds` (after a short warm-up).

    CPU time, not wall time: the figure is per core, whatever else the machine is running.
    """
    for _ in range(50):
        fn()
    n, start = 0, time.process_time()
    batch = 64
    while True:
        for _ in range(batch):
            fn()
        n += batch
        elapsed = time.process_time() - start
        if elapsed >= seconds:
            return n / elapsed
        batch = min(batch * 2, 65536)


def main() -> None:
    """Run every measurement and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hsm", action="store_true", help="also measure SoftHSM2 unwrap")
    args = parser.parse_args()
    rows: list[tuple[str, float]] = []

    tk = TenantKey(1, "t1-kek-bench", os.urandom(32))
    data_key, wrapped = tk.new_data_key()
    obj = ObjectContext(
        1, "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "2026-11-01T10:00:00Z"
    )
    ctx = obj.field("description")
    token = encrypt_field(data_key, ctx, VALUE)
    rows.append(
        ("field encrypt (context reused)", rate(lambda: encrypt_field(data_key, ctx, VALUE)))
    )
    rows.append(
        ("field decrypt (context reused)", rate(lambda: decrypt_field(data_key, ctx, token)))
    )
    rows.append(
        (
            "field encrypt (+ field context)",
            rate(lambda: encrypt_field(data_key, obj.field("description"), VALUE)),
        )
    )
    rows.append(
        (
            "field decrypt (+ field context)",
            rate(lambda: decrypt_field(data_key, obj.field("description"), token)),
        )
    )
    rows.append(("data key new + wrap (GCM-SIV)", rate(tk.new_data_key)))
    rows.append(("data key unwrap (GCM-SIV)", rate(lambda: tk.open_data_key(wrapped))))

    with tempfile.TemporaryDirectory() as tmp:
        LocalKeyring.create_or_open(Path(tmp))
        provider = LocalKeyProvider.from_data_dir(Path(tmp))
        aad = tenant_key_aad(1, "t1-kek-bench", "kek")
        wrapped_tk = provider.wrap(os.urandom(32), aad)
        rows.append(("tenant key unwrap (local)", rate(lambda: provider.unwrap(wrapped_tk, aad))))

    if args.hsm:
        rows.extend(_hsm_rates())

    root = TenantRoot(1, "t1-root-bench", os.urandom(32))
    meta = {"object_id": obj.object_id, "version": obj.modified, "tlp": "amber", "grants": [3, 5]}
    mac = row_mac(root, meta)
    rows.append(("row MAC", rate(lambda: row_mac(root, meta))))
    rows.append(("row MAC verify", rate(lambda: verify_row_mac(root, meta, mac))))
    index = BlindIndex("person.email", FieldKind.EMAIL, 19)
    rows.append(
        ("blind index (email)", rate(lambda: blind_index(root, index, "Analyst@Example.org")))
    )

    rows.extend(_jwe_rates("X25519", OKPKey.generate_key("X25519"), obj))
    rows.extend(_jwe_rates("P-256", ECKey.generate_key("P-256"), obj))

    width = max(len(name) for name, _ in rows)
    for name, per_second in rows:
        print(f"{name:<{width}}  {per_second:>12,.0f} ops/s  {1e6 / per_second:>9.2f} µs")


def _jwe_rates(crv: str, key: OKPKey | ECKey, obj: ObjectContext) -> list[tuple[str, float]]:
    public = key.as_dict(private=False)
    rk = recipient_key(public)
    ctx = obj.field("description")
    sealer = RecipientSealer(rk, obj.object_id, obj.modified)
    stix = {"type": "note", "id": obj.object_id, "modified": obj.modified}
    stix |= {"a": VALUE, "b": VALUE, "c": VALUE}
    served = protect_fields(stix, ["a", "b", "c"], public)
    return [
        (
            f"JWE {crv}: one field, own ECDH",
            rate(lambda: encrypt_for_recipient(VALUE, public, ctx)),
        ),
        (f"JWE {crv}: sealer setup (ECDH)", rate(lambda: RecipientSealer(rk, obj.object_id, ""))),
        (f"JWE {crv}: field with shared CEK", rate(lambda: sealer.seal("description", VALUE))),
        (
            f"JWE {crv}: protect object, 3 fields",
            rate(lambda: protect_fields(stix, ("a", "b", "c"), public)),
        ),
        (
            f"JWE {crv}: open object, 3 fields",
            rate(lambda: open_protected_fields(served, key), 0.3),
        ),
    ]


def _hsm_rates() -> list[tuple[str, float]]:
    import subprocess

    from hub.crypto.kms_pkcs11 import Pkcs11KeyProvider

    tmp = Path(tempfile.mkdtemp())
    (tmp / "tokens").mkdir()
    (tmp / "softhsm2.conf").write_text(
        f"directories.tokendir = {tmp / 'tokens'}\nlog.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(tmp / "softhsm2.conf")
    subprocess.run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            "bench",
            "--pin",
            "1234",
            "--so-pin",
            "5678",
        ],
        check=True,
        capture_output=True,
    )
    hsm = Pkcs11KeyProvider(
        library="/usr/lib/softhsm/libsofthsm2.so", token_label="bench", pin="1234"
    )
    hsm.ensure_key()
    aad = tenant_key_aad(1, "t1-kek-bench", "kek")
    wrapped = hsm.wrap(os.urandom(32), aad)
    return [
        ("tenant key wrap (SoftHSM2)", rate(lambda: hsm.wrap(os.urandom(32), aad), 0.3)),
        ("tenant key unwrap (SoftHSM2)", rate(lambda: hsm.unwrap(wrapped, aad), 0.3)),
    ]


if __name__ == "__main__":
    main()
