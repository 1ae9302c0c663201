"""The directory page: every active tenant and community, and the public keys with thumbprints
a person can check against one computed from the key itself."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlmodel import col

from hub.store.models import Tenant
from hub.tenancy.service import sync_directory
from tests.conftest import EXAMPLE_TENANTS, World
from tests.console.conftest import People
from tests.console.dom import Node, parse


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _x25519() -> dict[str, str]:
    key = x25519.X25519PrivateKey.generate().public_key()
    return {
        "kty": "OKP",
        "crv": "X25519",
        "x": _b64(key.public_bytes(Encoding.Raw, PublicFormat.Raw)),
    }


def _p256() -> dict[str, str]:
    n = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    x, y = _b64(n.x.to_bytes(32, "big")), _b64(n.y.to_bytes(32, "big"))
    return {"kty": "EC", "crv": "P-256", "x": x, "y": y}


def _rfc7638(jwk: dict[str, str]) -> str:
    """The thumbprint by hand: required members only, sorted, compact, SHA-256, base64url."""
    required = ("crv", "kty", "x", "y") if jwk["kty"] == "EC" else ("crv", "kty", "x")
    canonical = json.dumps({k: jwk[k] for k in required}, sort_keys=True, separators=(",", ":"))
    return _b64(hashlib.sha256(canonical.encode()).digest())


def _with_keys(tenants: Path, keys: dict[str, list[dict[str, Any]]]) -> None:
    for slug, jwks in keys.items():
        path = tenants / f"{slug}.yaml"
        spec = yaml.safe_load(path.read_text())
        spec["public_keys"] = jwks
        path.write_text(yaml.safe_dump(spec))


def _directory(people: People, slug: str) -> Node:
    r = people.sign_in(people.create(slug, "analyst")).get("/console/directory")
    assert r.status_code == 200, r.text
    return parse(r.text)


def test_every_active_tenant_and_community_is_listed(world: World, people: People) -> None:
    page = _directory(people, "ke-nctc")
    rows = {row.attrs["data-slug"]: row for row in page.all("tenant")}
    specs = {
        p.stem: yaml.safe_load(p.read_text())
        for p in EXAMPLE_TENANTS.glob("*.yaml")
        if p.stem not in ("collections", "communities")
    }
    assert set(rows) == set(specs) and len(rows) == 11
    for slug, spec in specs.items():
        row = rows[slug]
        assert spec["name"] in row.text and spec["kind"] in row.text
        assert row.one("identity").text == spec["identity_id"]
        for community in spec["communities"]:
            assert community in row.text
    assert "(you)" in rows["ke-nctc"].text and "(you)" not in rows["ng-nctc"].text
    communities = {row.attrs["data-slug"]: row for row in page.all("community")}
    defined = yaml.safe_load((EXAMPLE_TENANTS / "communities.yaml").read_text())["communities"]
    assert set(communities) == {c["slug"] for c in defined}
    members = {c: row.one("members").text.split(", ") for c, row in communities.items()}
    assert members["sahel"] == ["ml-cnlt", "ne-cclt"]
    assert members["ecowas"] == ["gh-ctfc", "ng-nctc"]
    assert set(members["all-partners"]) == {"acsrt", "cted", "interpol", "unpol"}
    assert len(members["african-union"]) == 7
    assert page.all("no-keys")  # the example tenants register none


def test_public_keys_show_a_thumbprint_anyone_can_recompute(
    world: World, people: People, tenants_copy: Path
) -> None:
    interpol, unpol_new, unpol_old = _x25519(), _p256(), _p256()
    _with_keys(
        tenants_copy,
        {
            "interpol": [{**interpol, "kid": "interpol-2026", "use": "enc"}],
            "unpol": [{**unpol_new, "kid": "unpol-2027"}, {**unpol_old, "kid": "unpol-2026"}],
        },
    )
    sync_directory(world.db, tenants_copy)
    page = _directory(people, "gh-ctfc")
    keys = [(k.attrs["data-slug"], k) for k in page.one("keys").all("key")]
    assert [slug for slug, _ in keys] == ["interpol", "unpol", "unpol"]
    (_, ikey), (_, first), (_, second) = keys
    assert ikey.one("thumbprint").text == _rfc7638(interpol)
    assert "interpol-2026" in ikey.text and "OKP X25519" in ikey.text
    assert first.one("thumbprint").text == _rfc7638(unpol_new) and "(in use)" in first.text
    assert second.one("thumbprint").text == _rfc7638(unpol_old) and "(in use)" not in second.text
    without = page.one("without-keys").text
    assert "cted" in without and "interpol" not in without and "unpol" not in without


def test_a_deactivated_tenant_is_gone_from_the_directory(world: World, people: People) -> None:
    with world.db.write_session() as s:
        s.execute(sa.update(Tenant).where(col(Tenant.slug) == "so-ctfc").values(active=False))
    page = _directory(people, "ke-nctc")
    assert "so-ctfc" not in {row.attrs["data-slug"] for row in page.all("tenant")}
    eac = page.one("community", data_slug="eac")
    assert eac.one("members").text == "ke-nctc"
