"""Cost of field encryption on the hub's own paths (a measurement, not a test).

``python -m tests.crypto.bench_wiring [--objects N] [--database-url URL] [--rounds R]``

Publishes N indicators (description, external references and a custom property: all protected
by default) through :func:`hub.objects.ingest.ingest` in envelopes of 1,000, then reads them back
page by page (1,000 per page, :func:`hub.objects.read.get_objects`) as three readers: the
publisher (whole objects), Ghana (granted as published) and INTERPOL (a view: one field redacted,
two delivered as JWE to its X25519 key). Once with ``HUB_FIELD_ENCRYPTION`` on, once off, each
on a fresh database; objects per second of wall-clock time (``--cpu``: of this thread's CPU
time, which on SQLite includes the database), best of R rounds, no HTTP and no auth.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
import yaml
from joserfc.jwk import OKPKey

from hub.crypto.keyring import LocalKeyring
from hub.objects import read
from hub.objects.ingest import Publisher, ingest
from hub.runtime import Hub
from hub.settings import Settings
from hub.sharing.policy import Policy
from hub.sharing.service import apply_policy
from hub.store.db import Database
from hub.store.migrate import upgrade
from hub.store.models import Collection
from hub.taxii.pagination import PageTokens
from hub.tenancy.service import sync_directory, tenant_scope_for_cli

TENANTS = Path(__file__).resolve().parents[2] / "tenants"
#: Wall clock by default; ``--cpu``: this thread's CPU time (fair on a busy machine; SQLite only).
CLOCK = time.perf_counter
POLICY: dict[str, Any] = {
    "tenant": "ng-nctc",
    "rules": [
        {
            "name": "ecowas",
            "effect": "share",
            "match": {"types": ["indicator"], "tlp": ["green", "amber"]},
            "recipients": {"communities": ["ecowas"]},
        },
        {
            "name": "interpol",
            "effect": "share",
            "match": {"types": ["indicator"], "tlp": ["green", "amber"]},
            "recipients": {"tenants": ["interpol"]},
            "fields": {
                "external_references": "redact",
                "description": "encrypt",
                "x_source_reliability": "encrypt",
            },
        },
    ],
}
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


def _objects(identity: str, n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        ts = "2026-11-01T10:00:00.000Z"
        out.append(
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": f"indicator--{uuid.uuid4()}",
                "created": ts,
                "modified": ts,
                "created_by_ref": identity,
                "name": f"C2 server {i}",
                "description": f"Courier network relay #{i}, reported by a liaison source",
                "indicator_types": ["malicious-activity"],
                "pattern": f"[ipv4-addr:value = '198.51.{i // 250 % 250}.{i % 250 + 1}']",
                "pattern_type": "stix",
                "valid_from": ts,
                "confidence": 80,
                "external_references": [{"source_name": "ng-case", "external_id": f"NG-{i}"}],
                "x_source_reliability": "B2",
                "object_marking_refs": [GREEN],
            }
        )
    return out


def _tenants(tmp: Path) -> Path:
    copy = tmp / "tenants"
    shutil.copytree(TENANTS, copy)
    spec = yaml.safe_load((copy / "interpol.yaml").read_text())
    spec["public_keys"] = [OKPKey.generate_key("X25519").as_dict(private=False)]
    (copy / "interpol.yaml").write_text(yaml.safe_dump(spec))
    cols = yaml.safe_load((copy / "collections.yaml").read_text())
    for col in cols["collections"]:
        col["allow_custom"] = True
    (copy / "collections.yaml").write_text(yaml.safe_dump(cols))
    return copy


def _schema_sql(url: str, statement: str) -> None:
    admin = Database(url)
    with admin.engine.begin() as conn:
        conn.execute(sa.text(statement))
    admin.dispose()


def _fresh_database(url: str | None, tmp: Path, tag: str) -> tuple[Database, str, str | None]:
    """A new database: a SQLite file in `tmp`, or a PostgreSQL schema (dropped by the caller)."""
    if url is None:
        full = f"sqlite:///{tmp}/{tag}.db"
        return Database(full), full, None
    schema = f"bench_{tag}_{uuid.uuid4().hex[:8]}"
    _schema_sql(url, f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in url else "?"
    full = f"{url}{sep}options=-csearch_path%3D{schema}"
    return Database(full), full, schema


def run(on: bool, n: int, url: str | None, tmp: Path) -> dict[str, float]:
    """Objects/s for ingest and for reading as each reader, with protection `on` or off."""
    data_dir = tmp / f"var-{on}"
    LocalKeyring.create_or_open(data_dir)
    db, full_url, schema = _fresh_database(url, tmp, "on" if on else "off")
    try:
        return _measure(db, full_url, data_dir, on, n, tmp)
    finally:
        db.dispose()
        if url is not None and schema is not None:
            _schema_sql(url, f'DROP SCHEMA "{schema}" CASCADE')


def _measure(
    db: Database, full_url: str, data_dir: Path, on: bool, n: int, tmp: Path
) -> dict[str, float]:
    upgrade(db)
    settings = Settings(
        environment="test", database_url=full_url, data_dir=data_dir, field_encryption=on
    )
    hub = Hub(settings, database=db)
    sync_directory(db, _tenants(tmp))
    apply_policy(db, Policy.model_validate(POLICY), author="bench")
    scope = tenant_scope_for_cli(db, "ng-nctc")
    with db.session() as s:
        cid = str(
            s.scalars(sa.select(Collection.id).where(Collection.alias == "shared-exchange")).one()
        )
    objs = _objects(scope.identity_id, n)
    ingest(db, Publisher(scope), cid, objs[:10])  # warm-up (keys, caches)
    start = CLOCK()
    for i in range(10, n, 1000):
        status = ingest(db, Publisher(scope), cid, objs[i : i + 1000])
        assert status.failure_count == 0, status.failures[:3]
    result = {"ingest": (n - 10) / (CLOCK() - start)}
    tokens = PageTokens(os.urandom(32))
    for slug in ("ng-nctc", "gh-ctfc", "interpol"):
        reader = tenant_scope_for_cli(db, slug)
        start, count, after = CLOCK(), 0, {"limit": "1000"}
        while True:
            f = read.parse_filters(after, default_limit=1000, max_limit=1000)
            with db.session() as s:
                page = read.get_objects(s, tokens, reader, cid, f)
            count += len(page.items)
            for _, body in page.items[:1]:
                orjson.loads(body)
            if not page.next:
                break
            after = {"limit": "1000", "next": page.next}
        result[f"serve {slug}"] = count / (CLOCK() - start)
        assert count == n, (slug, count)
    hub.close()
    return result


def main() -> None:
    """Run both modes `--rounds` times and print the best rates side by side."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a SQLite file)")
    parser.add_argument("--cpu", action="store_true", help="CPU time of this thread, not wall")
    args = parser.parse_args()
    global CLOCK
    if args.cpu:
        CLOCK = time.thread_time
    best: dict[bool, dict[str, float]] = {True: {}, False: {}}
    for _ in range(args.rounds):
        for on in (False, True):
            tmp = Path(tempfile.mkdtemp(prefix="bench-wiring-"))
            os.chmod(tmp, 0o700)
            try:
                for k, v in run(on, args.objects, args.database_url, tmp).items():
                    best[on][k] = max(best[on].get(k, 0.0), v)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    backend = "postgresql" if args.database_url else "sqlite"
    clock = "CPU" if args.cpu else "wall"
    rounds = args.rounds
    print(f"{args.objects} indicators, {backend}, objects/s of {clock} time (best of {rounds})")
    print(f"{'path':<22}{'off':>10}{'on':>10}{'on/off':>9}")
    for key in best[False]:
        off, on_ = best[False][key], best[True][key]
        print(f"{key:<22}{off:>10.0f}{on_:>10.0f}{on_ / off:>9.2f}")


if __name__ == "__main__":
    main()
