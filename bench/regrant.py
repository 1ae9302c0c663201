"""Phase 4, policy re-evaluation: re-deciding every grant of a collection.

Pluggable: `REEVALUATORS` maps a name to a function that re-evaluates one collection in a
database and returns how many grants are in force afterwards. Today there is one, the TLP floor
decided by the publishers' sharing policies (`hub.objects.grants.reevaluate_collection`, with
the example policies of policies/ applied).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bench.bulk import BulkLoader
from bench.common import Config, HubWorld, database, hub_world, identities
from bench.report import Results, Row
from hub.store.db import Database
from hub.store.tenants import collection_by_id

__all__ = ["REEVALUATORS", "run"]

PHASE = "regrant"


def _policies(db: Database, collection_id: str) -> int:
    from pathlib import Path

    from hub.sharing.loader import load_policies
    from hub.sharing.service import apply_policy
    from hub.tenancy.loader import load_directory

    root = Path(__file__).resolve().parent.parent
    for policy in load_policies(root / "policies", load_directory(root / "tenants")).values():
        # Store the versions only: the re-evaluation below is what this phase times.
        apply_policy(db, policy, author="bench", wait=False)
    return _again(db, collection_id)


def _again(db: Database, collection_id: str) -> int:
    from datetime import UTC, datetime

    from hub.objects.grants import reevaluate_collection
    from hub.store.objects import lock_collection

    with db.write_session() as session:
        lock_collection(session, collection_id)
        col = collection_by_id(session, collection_id)
        assert col is not None
        return reevaluate_collection(session, col, now=datetime.now(UTC))


#: name -> (re-evaluate one collection, returning grants in force)
#: The first run also seals the fields the hub protects by default (the bulk load stores them
#: in clear and the tenants have keys); the second is the steady state: unseal, verify, decide,
#: and keep every grant, view and MAC the decisions leave as they are.
REEVALUATORS: dict[str, Callable[[Database, str], int]] = {
    "example policies applied: reevaluate_collection (1st, seals clear fields)": _policies,
    "reevaluate_collection again (steady state: unseal, decide, keep what is unchanged)": _again,
}

#: Objects of the small store where the steady state is also timed: replacing views deletes
#: `object_view` rows, whose ON DELETE CASCADE looks up `access_grant.view_seq`. Without an
#: index on that column (schemas before migration 0008) that is a scan per deleted view,
#: quadratic: then the full size is timed with a bench-made index (a labelled what-if).
STEADY_OBJECTS = 5_000
WHAT_IF_INDEX = "ix_bench_access_grant_view_seq"


def _view_seq_indexed(db: Database) -> bool:
    """Does the schema index `access_grant.view_seq` already (migration 0008)?"""
    import sqlalchemy as sa

    with db.engine.connect() as conn:
        indexes = sa.inspect(conn).get_indexes("access_grant")
    return any(list(ix["column_names"]) == ["view_seq"] for ix in indexes)


def _publishers() -> list[str]:
    """Every example tenant but the operator publishes: cells and partners alike."""
    return sorted(s for s in identities() if s != "hub-operator")


def run(cfg: Config, results: Results) -> None:
    """Bulk-load N objects from all tenants into the shared exchange, then re-evaluate."""
    pubs = _publishers()
    for backend in cfg.backends:
        # No policies at load time (CLEAR only); the re-evaluators apply theirs.
        small = min(STEADY_OBJECTS, cfg.regrant_objects)
        with database(backend, cfg) as db, hub_world(db, cfg, [], policies="none") as world:
            _run_backend(results, backend, world, pubs, small, cfg.seed, what_if=False)
        with database(backend, cfg) as db, hub_world(db, cfg, [], policies="none") as world:
            _run_backend(results, backend, world, pubs, cfg.regrant_objects, cfg.seed, what_if=True)


def _run_backend(
    results: Results,
    backend: str,
    world: HubWorld,
    pubs: list[str],
    count: int,
    seed: int,
    *,
    what_if: bool,
) -> None:
    loader = BulkLoader(world, pubs, seed=seed + 303)
    loaded = loader.load(count)
    indexed = _view_seq_indexed(world.db)
    what_if = what_if and not indexed
    for i, (name, fn) in enumerate(REEVALUATORS.items()):
        label = name
        if i > 0 and what_if:
            with world.db.engine.begin() as conn:
                conn.exec_driver_sql(f'CREATE INDEX "{WHAT_IF_INDEX}" ON access_grant (view_seq)')
                if world.db.dialect == "postgresql":
                    conn.exec_driver_sql("ANALYZE access_grant")
            label = f"what-if: {name} with an index on access_grant.view_seq"
        start = time.perf_counter()
        grants = fn(world.db, loader.collection_id)
        secs = time.perf_counter() - start
        results.add(
            Row(
                PHASE,
                "hub",
                backend,
                f"{label}, {count:,} objects x {len(loader.readers)} readers",
                secs,
                "s",
                n=count,
                note=(
                    f"{grants:,} grants after (bulk load had {int(loaded['grants']):,}); "
                    f"{len(pubs)} publishers; {count / secs:,.0f} objects/s"
                    + (
                        "; as shipped: quadratic in views x grants"
                        if i > 0 and not what_if and not indexed
                        else ""
                    )
                ),
                target_value="≤ 30 (100k objects)" if count >= 100_000 else "",
                extra={"grants": grants, "readers": len(loader.readers)},
            )
        )
