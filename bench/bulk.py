"""Bulk-load the store directly, for store sizes no HTTP ingest reaches in a bench run.

Rows go into `object_version` and `access_grant` as `hub.objects.ingest` would write them for
single-version objects: consecutive `date_added` per collection, `is_latest` true, and one
grant per reader the publisher's policy in force grants (`hub.sharing.engine.decide_all` over
the collection's readers, `effective_tlp` raising granular markings), stamped with that
policy's `policy_seq`. Decisions are cached per (publisher, TLP, labels), exact for the bench's
own policy (TLP only); a decision that takes fields away is stored as a full grant (no view),
and bodies are stored in clear (no sealing, no row MAC). SQLite gets
driver-level `executemany`; PostgreSQL gets `COPY ... FROM STDIN`. The secondary indexes of
`access_grant` and `object_version` are dropped during a load step and recreated after it
(the usual bulk-load practice); PostgreSQL tables are ANALYZEd afterwards, as autovacuum would.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa

from bench.common import HubWorld, identities
from hub.demo.generate import generate_indicators
from hub.objects.grants import Audience, load_audience
from hub.sharing.context import object_context
from hub.sharing.engine import decide_all
from hub.sharing.floor import Party, effective_tlp
from hub.stix import TLP_MARKING_IDS
from hub.store.tenants import audience_tenant_ids, collection_by_id, tenant_profiles
from hub.timeutil import micros, now_micros

__all__ = ["BulkLoader"]

_V_COLS = (
    "seq",
    "collection_id",
    "object_id",
    "type",
    "spec_version",
    "created",
    "version",
    "date_added",
    "owner_id",
    "tlp",
    "revoked",
    "body",
)
_G_COLS = (
    "reader_id",
    "collection_id",
    "date_added",
    "version_seq",
    "object_id",
    "type",
    "spec_version",
    "version",
    "is_latest",
    "owner_id",
    "policy_seq",
)
_TABLES = ("object_version", "access_grant")


def _micros(stamp: str) -> int:
    return micros(datetime.fromisoformat(stamp.replace("Z", "+00:00")))


@dataclass
class BulkLoader:
    """Appends objects to one collection of a world; remembers where it stopped."""

    world: HubWorld
    publishers: Sequence[str]
    seed: int
    chunk: int = 5_000
    collection_id: str = ""
    loaded: int = 0
    grants: int = 0
    next_date_added: int = 0
    next_seq: int = 0
    readers: list[Party] = field(default_factory=list)
    parties: dict[str, Party] = field(default_factory=dict)
    audiences: dict[str, Audience] = field(default_factory=dict)
    #: (object id, date_added) samples of objects visible to each sampled reader
    samples: dict[int, list[tuple[str, int]]] = field(default_factory=dict)
    sample_size: int = 5_000
    _seen: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        db = self.world.db
        self.collection_id = self.collection_id or self.world.collection_id()
        with db.session() as session:
            col = collection_by_id(session, self.collection_id)
            assert col is not None
            reader_ids = audience_tenant_ids(session, col.readers)
            profiles = tenant_profiles(session, reader_ids)
            self.readers = [Party(*p) for p in profiles]
            by_slug = {p.slug: p for p in self.readers}
            self.parties = {s: by_slug[s] for s in self.publishers}
            self.audiences = {
                s: load_audience(session, col, by_slug[s].tenant_id) for s in self.publishers
            }
            self._alias = col.alias
            v = sa.table("object_version", sa.column("seq"), sa.column("date_added"))
            self.next_seq = int(session.execute(sa.select(sa.func.max(v.c.seq))).scalar() or 0) + 1
            last = session.execute(sa.select(sa.func.max(v.c.date_added))).scalar()
            self.next_date_added = max(now_micros() - 10**12, int(last or 0) + 1)
        self._rng = random.Random(self.seed)
        self._ids = identities()

    @property
    def dialect(self) -> str:
        """sqlite or postgresql."""
        return self.world.db.dialect

    def track(self, reader_id: int) -> None:
        """Keep a uniform sample of the objects `reader_id` may read (for get-by-id)."""
        self.samples.setdefault(reader_id, [])
        self._seen.setdefault(reader_id, 0)

    def _objects(self, count: int) -> Iterator[tuple[str, dict[str, Any]]]:
        per = 1_000
        made = 0
        k = self.loaded // per
        while made < count:
            slug = self.publishers[k % len(self.publishers)]
            n = min(per, count - made)
            for obj in generate_indicators(
                n, publisher_identity=self._ids[slug], seed=self.seed * 7_919 + k
            ):
                yield slug, obj
            made += n
            k += 1

    def _rows(
        self, batch: list[tuple[str, dict[str, Any]]]
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        vrows: list[tuple[Any, ...]] = []
        grows: list[tuple[Any, ...]] = []
        decided: dict[tuple[str, str, tuple[str, ...]], list[int]] = {}
        now = datetime.now(UTC)
        cid = self.collection_id
        pg = self.dialect == "postgresql"
        for slug, obj in batch:
            refs = obj.get("object_marking_refs") or []
            object_tlp = TLP_MARKING_IDS.get(refs[0]) if refs else None
            tlp = effective_tlp(obj, object_tlp, TLP_MARKING_IDS)
            key = (slug, tlp, tuple(obj.get("labels") or ()))
            if key not in decided:
                aud = self.audiences[slug]
                ctx = object_context(obj, collection=self._alias, now=now)
                decisions = decide_all(obj, ctx, aud.policy, aud.publisher, aud.readers)
                decided[key] = [r for r, d in decisions.items() if d.granted]
            seq, added = self.next_seq, self.next_date_added
            self.next_seq += 1
            self.next_date_added += 1
            version = _micros(obj["modified"])
            body = orjson.dumps(obj).decode()
            vrows.append(
                (
                    seq,
                    cid,
                    obj["id"],
                    "indicator",
                    "2.1",
                    _micros(obj["created"]),
                    version,
                    added,
                    self.parties[slug].tenant_id,
                    tlp,
                    False if pg else 0,
                    body,
                )
            )
            for reader_id in decided[key]:
                grows.append(
                    (
                        reader_id,
                        cid,
                        added,
                        seq,
                        obj["id"],
                        "indicator",
                        "2.1",
                        version,
                        True if pg else 1,
                        self.parties[slug].tenant_id,
                        self.audiences[slug].policy_seq,
                    )
                )
                if reader_id in self.samples:
                    self._sample(reader_id, obj["id"], added)
        return vrows, grows

    def _sample(self, reader_id: int, object_id: str, added: int) -> None:
        self._seen[reader_id] += 1
        bucket = self.samples[reader_id]
        if len(bucket) < self.sample_size:
            bucket.append((object_id, added))
        else:
            j = int(self._rng.random() * self._seen[reader_id])
            if j < self.sample_size:
                bucket[j] = (object_id, added)

    def _indexes(self, conn: sa.Connection) -> list[tuple[str, str, list[str], bool]]:
        insp = sa.inspect(conn)
        out = []
        for table in _TABLES:
            for ix in insp.get_indexes(table):
                cols = [c for c in ix["column_names"] if c]
                if ix.get("duplicates_constraint"):
                    continue  # backs a UNIQUE constraint: stays
                if ix["name"] and cols and len(cols) == len(ix["column_names"]):
                    out.append((table, ix["name"], cols, bool(ix.get("unique"))))
        return out

    def load(self, count: int) -> dict[str, float]:
        """Append `count` objects (and their grants); returns counts and seconds."""
        import time

        start = time.perf_counter()
        grants_before = self.grants
        db = self.world.db
        with db.engine.connect() as conn:
            conn = conn.execution_options(hub_write=True)
            with conn.begin():
                indexes = self._indexes(conn)
                for _table, name, _cols, _unique in indexes:
                    conn.exec_driver_sql(f'DROP INDEX "{name}"')
                batch: list[tuple[str, dict[str, Any]]] = []
                for item in self._objects(count):
                    batch.append(item)
                    if len(batch) >= self.chunk:
                        self._write(conn, batch)
                        batch = []
                if batch:
                    self._write(conn, batch)
                for table, name, cols, unique in indexes:
                    kind = "UNIQUE INDEX" if unique else "INDEX"
                    collist = ", ".join(f'"{c}"' for c in cols)
                    conn.exec_driver_sql(f'CREATE {kind} "{name}" ON "{table}" ({collist})')
                if self.dialect == "postgresql":
                    conn.exec_driver_sql(
                        "SELECT setval(pg_get_serial_sequence('object_version', 'seq'), "
                        "(SELECT max(seq) FROM object_version))"
                    )
                # The collection's clock hands out date_added values after the loaded ones.
                conn.execute(
                    sa.text(
                        "UPDATE collection SET clock = (SELECT max(date_added) "
                        "FROM object_version WHERE object_version.collection_id = collection.id) "
                        "WHERE id = :cid"
                    ),
                    {"cid": self.collection_id},
                )
        if self.dialect == "postgresql":
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "ANALYZE object_version, access_grant"
                )
        return {
            "objects": float(count),
            "grants": float(self.grants - grants_before),
            "seconds": time.perf_counter() - start,
        }

    def _write(self, conn: sa.Connection, batch: list[tuple[str, dict[str, Any]]]) -> None:
        vrows, grows = self._rows(batch)
        if self.dialect == "postgresql":
            raw: Any = conn.connection.driver_connection
            with raw.cursor() as cur:
                with cur.copy(f"COPY object_version ({', '.join(_V_COLS)}) FROM STDIN") as cp:
                    for r in vrows:
                        cp.write_row(r)
                with cur.copy(f"COPY access_grant ({', '.join(_G_COLS)}) FROM STDIN") as cp:
                    for r in grows:
                        cp.write_row(r)
        else:
            conn.exec_driver_sql(
                f"INSERT INTO object_version ({', '.join(_V_COLS)}) "  # noqa: S608
                f"VALUES ({', '.join('?' * len(_V_COLS))})",
                vrows,
            )
            conn.exec_driver_sql(
                f"INSERT INTO access_grant ({', '.join(_G_COLS)}) "  # noqa: S608
                f"VALUES ({', '.join('?' * len(_G_COLS))})",
                grows,
            )
        self.loaded += len(vrows)
        self.grants += len(grows)
