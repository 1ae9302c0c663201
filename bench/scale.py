"""Phase 3, scale: does a page cost the same with 10k, 100k and 1M objects in the store?"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import httpx

from bench.bulk import BulkLoader
from bench.common import (
    NATIONAL_CELLS,
    PARTNER_READER,
    Config,
    HubWorld,
    client,
    database,
    hub_world,
    serve_hub,
    summary,
)
from bench.report import Results, Row
from hub.store import objects as repo
from hub.timeutil import format_micros

__all__ = ["run"]

PHASE = "scale"


def _store_latency(world: HubWorld, query: Callable[[int], repo.PageQuery], n: int) -> list[float]:
    """Time `repo.page_objects` itself (no HTTP, no auth), one read session per call."""
    scope = world.scopes[PARTNER_READER]
    lat = []
    for i in range(n):
        t0 = time.perf_counter()
        with world.db.session() as session:
            repo.page_objects(session, scope, query(i))
        lat.append(time.perf_counter() - t0)
    return lat


def _what_if_analyze(
    cfg: Config,
    results: Results,
    world: HubWorld,
    url: str,
    path: str,
    picks: list[tuple[str, int]],
) -> None:
    """SQLite plans without statistics (the hub never runs ANALYZE): re-measure after one.

    A what-if for the hub's maintainers, after the figures above; PostgreSQL's autovacuum
    gathers statistics by itself (the bulk loader ANALYZEs to stand in for it).
    """
    with world.db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    size = len(picks) and max(cfg.scale_sizes)
    with client(url, world.creds[PARTNER_READER]) as c:
        c.get(f"{path}{picks[0][0]}/")
        for label, make in (
            ("get-by-id", lambda i: c.get(f"{path}{picks[i][0]}/")),
            (
                "filtered 100-object page",
                lambda i: c.get(
                    path,
                    params={
                        "match[type]": "indicator",
                        "added_after": format_micros(picks[i][1] - 1),
                        "limit": 100,
                    },
                ),
            ),
        ):
            lat = []
            for i in range(len(picks)):
                t0 = time.perf_counter()
                _ = make(i).content
                lat.append(time.perf_counter() - t0)
            s = summary(lat)
            results.add(
                Row(
                    PHASE,
                    "hub",
                    "sqlite",
                    f"what-if: {label} p50 @ {size:,} after ANALYZE",
                    s["p50"],
                    "ms",
                    n=len(lat),
                    note=f"p99 {s['p99']:.1f} ms; the hub itself never runs ANALYZE",
                    extra=s,
                )
            )


def run(cfg: Config, results: Results) -> None:
    """Bulk-load to each size in turn and measure the filtered page and get-by-id."""
    for backend in cfg.backends:
        with (
            database(backend, cfg) as db,
            hub_world(db, cfg, [PARTNER_READER]) as world,
            serve_hub(world) as (url, cache),
        ):
            _run_backend(cfg, results, backend, world, url, cache.available)
            if cache.available:
                cache.enable()
            else:
                results.note(f"scale/{backend}: {cache.reason}; latencies include scrypt")


def _run_backend(
    cfg: Config, results: Results, backend: str, world: HubWorld, url: str, cached: bool
) -> None:
    loader = BulkLoader(world, NATIONAL_CELLS, seed=cfg.seed + 101)
    reader_id = world.scopes[PARTNER_READER].tenant_id
    loader.track(reader_id)
    col = loader.collection_id
    path = f"/taxii2/hub/collections/{col}/objects/"
    auth_note = "Basic verified once then cached (bench shim)" if cached else "scrypt per request"
    figures: dict[int, dict[str, dict[str, float]]] = {}
    creds = world.creds[PARTNER_READER]
    for size in sorted(cfg.scale_sizes):
        if size > loader.loaded:
            out = loader.load(size - loader.loaded)
            results.add(
                Row(
                    PHASE,
                    "bench",
                    backend,
                    f"bulk load to {size:,} objects",
                    out["objects"] / out["seconds"],
                    "objects/s",
                    n=int(out["objects"]),
                    note=f"{int(out['grants']):,} grants; {out['seconds']:.0f}s (not a hub figure)",
                )
            )
        visible = loader.samples[reader_id]
        rng = random.Random(cfg.seed + size)
        picks = [visible[int(rng.random() * len(visible))] for _ in range(cfg.scale_samples)]

        def filtered(
            c: httpx.Client, i: int, picks: list[tuple[str, int]] = picks
        ) -> httpx.Response:
            after = format_micros(picks[i][1] - 1)
            return c.get(
                path, params={"match[type]": "indicator", "added_after": after, "limit": 100}
            )

        def by_id(c: httpx.Client, i: int, picks: list[tuple[str, int]] = picks) -> httpx.Response:
            return c.get(f"{path}{picks[i][0]}/")

        fig: dict[str, dict[str, float]] = {}
        with client(url, creds) as c:
            for _ in range(5):  # warm-up: connection, auth cache, page cache
                filtered(c, 0)
                by_id(c, 0)
            for label, fn in (("filtered 100-object page", filtered), ("get-by-id", by_id)):
                lat = []
                sizes = []
                for i in range(cfg.scale_samples):
                    t0 = time.perf_counter()
                    r = fn(c, i)
                    body = r.content
                    lat.append(time.perf_counter() - t0)
                    sizes.append(len(body))
                fig[label] = summary(lat)
                target = "≤ 25" if label.startswith("filtered") else "≤ 10"
                for q in ("p50", "p99"):
                    results.add(
                        Row(
                            PHASE,
                            "hub",
                            backend,
                            f"{label} {q} @ {size:,} objects (HTTP)",
                            fig[label][q],
                            "ms",
                            n=len(lat),
                            note=f"as {PARTNER_READER}; {auth_note}",
                            target_value=target if (q == "p99" and size >= 1_000_000) else "",
                        )
                    )
        queries: dict[str, Callable[[int], repo.PageQuery]] = {
            "store page_objects, filtered page": lambda i, picks=picks: repo.PageQuery(
                collection_id=col,
                limit=100,
                after=picks[i][1] - 1,
                types=frozenset({"indicator"}),
            ),
            "store page_objects, by id": lambda i, picks=picks: repo.PageQuery(
                collection_id=col, limit=100, ids=frozenset({picks[i][0]})
            ),
        }
        for label, q in queries.items():
            fig[label] = summary(_store_latency(world, q, cfg.scale_samples))
            results.add(
                Row(
                    PHASE,
                    "hub",
                    backend,
                    f"{label} p50/p99 @ {size:,}",
                    fig[label]["p50"],
                    "ms",
                    n=cfg.scale_samples,
                    note=f"p99 {fig[label]['p99']:.2f} ms; in-process, no HTTP",
                    extra=fig[label],
                )
            )
        figures[size] = fig
    if backend == "sqlite" and figures:
        _what_if_analyze(cfg, results, world, url, path, picks)
    sizes = sorted(figures)
    if len(sizes) >= 2:
        lo, hi = sizes[0], sizes[-1]
        for label in figures[lo]:
            for q in ("p50", "p99"):
                a, b = figures[lo][label][q], figures[hi][label][q]
                results.add(
                    Row(
                        PHASE,
                        "hub",
                        backend,
                        f"ratio {label} {q}: {hi:,} / {lo:,}",
                        b / a if a else None,
                        "x",
                        note="should stay within a small constant (≈1)",
                    )
                )
