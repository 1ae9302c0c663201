"""Phase 1, ingest: TAXII POST of realistic indicators through real HTTP, to status `complete`."""

from __future__ import annotations

import time
from typing import Any

import orjson

from bench.common import (
    NATIONAL_CELLS,
    Config,
    client,
    database,
    envelopes,
    hub_world,
    percentile,
    serve_hub,
)
from bench.report import Results, Row

__all__ = ["post_all", "post_parallel", "run"]

PHASE = "ingest"


def post_all(
    clients: dict[str, Any],
    objects_path: str,
    bodies: list[tuple[str, bytes, int]],
    *,
    budget_s: float,
) -> dict[str, Any]:
    """POST every (publisher, body, count) in order; stop early past `budget_s`.

    Returns objects stored, failures, elapsed seconds and per-envelope latencies. An object
    counts once the response carries status `complete` and it among `success_count`.
    """
    stored = failed = posted = 0
    latencies: list[float] = []
    errors: list[str] = []
    start = time.perf_counter()
    for slug, body, count in bodies:
        t0 = time.perf_counter()
        r = clients[slug].post(objects_path, content=body)
        latencies.append(time.perf_counter() - t0)
        posted += count
        if r.status_code != 202:
            errors.append(f"HTTP {r.status_code}: {r.text[:200]}")
            failed += count
        else:
            st = r.json()
            if st.get("status") == "complete":
                stored += int(st.get("success_count", 0))
                failed += int(st.get("failure_count", 0))
            else:
                errors.append(f"status {st.get('status')!r}")
        if time.perf_counter() - start > budget_s:
            break
    return {
        "stored": stored,
        "failed": failed,
        "posted": posted,
        "seconds": time.perf_counter() - start,
        "latencies": latencies,
        "errors": errors[:5],
    }


def post_parallel(
    base: str,
    creds: dict[str, tuple[str, str]],
    objects_path: str,
    bodies: list[tuple[str, bytes, int]],
    *,
    streams: int,
    budget_s: float,
) -> dict[str, Any]:
    """:func:`post_all` from `streams` client threads at once (envelope i to thread i % n)."""
    from concurrent.futures import ThreadPoolExecutor

    def one(k: int) -> dict[str, Any]:
        clients = {s: client(base, creds[s]) for s in {b[0] for b in bodies}}
        try:
            return post_all(clients, objects_path, bodies[k::streams], budget_s=budget_s)
        finally:
            for c in clients.values():
                c.close()

    start = time.perf_counter()
    with ThreadPoolExecutor(streams) as pool:
        parts = list(pool.map(one, range(streams)))
    return {
        "stored": sum(p["stored"] for p in parts),
        "failed": sum(p["failed"] for p in parts),
        "seconds": time.perf_counter() - start,
        "latencies": [x for p in parts for x in p["latencies"]],
        "errors": [e for p in parts for e in p["errors"]][:5],
    }


#: Worker processes of the multi-process row (the issue's PostgreSQL figure).
WORKERS = 2


def _workers_row(cfg: Config, results: Results, backend: str, budget: float) -> None:
    """Envelopes of 1,000 into `fusion-hub`-like uvicorn with WORKERS processes, as many
    requests in flight; the hub in its own processes (`bench.hubproc --workers`)."""
    import sys

    from bench.common import REPO
    from bench.procs import started
    from hub.server import free_port

    envs = envelopes(cfg.ingest_objects, 1000, seed=cfg.seed + 1000)
    bodies = [(slug, orjson.dumps({"objects": objs}), len(objs)) for slug, objs in envs]
    with (
        database(backend, cfg) as db,
        hub_world(db, cfg, NATIONAL_CELLS, policies="example") as world,
    ):
        port = free_port()
        argv = [sys.executable, "-m", "bench.hubproc", "--port", str(port)]
        argv += ["--workers", str(WORKERS)]
        base = f"http://127.0.0.1:{port}"
        log = cfg.workdir / f"ingest-workers-{backend}-{port}.log"
        env = world.env(HUB_PORT=str(port))
        with started(argv, ready_url=f"{base}/healthz", env=env, cwd=REPO, log=log):
            path = f"/taxii2/hub/collections/{world.collection_id()}/objects/"
            out = post_parallel(base, world.creds, path, bodies, streams=WORKERS, budget_s=budget)
    rate = out["stored"] / out["seconds"] if out["seconds"] else None
    note = (
        f"{WORKERS} uvicorn worker processes, {WORKERS} requests in flight, "
        f"{len(NATIONAL_CELLS)} publishers; example policies, field encryption on"
    )
    if out["errors"]:
        note += f"; errors: {out['errors']}"
    results.add(
        Row(
            PHASE,
            "hub",
            backend,
            f"objects/s to status complete, envelopes of 1,000, {WORKERS} worker processes",
            rate,
            "objects/s",
            n=out["stored"],
            note=note,
            target_value="≥ 4,500 (PostgreSQL)" if backend == "postgresql" else "",
            extra={"seconds": out["seconds"], "failed": out["failed"], "workers": WORKERS},
        )
    )


def run(cfg: Config, results: Results) -> None:
    """Objects/s for envelopes of each size, on each backend, via a fresh hub."""
    budget = 600.0 if not cfg.quick else 120.0
    for backend in cfg.backends:
        _workers_row(cfg, results, backend, budget)
    for backend in cfg.backends:
        for size in cfg.envelope_sizes:
            envs = envelopes(cfg.ingest_objects, size, seed=cfg.seed + size)
            bodies = [(slug, orjson.dumps({"objects": objs}), len(objs)) for slug, objs in envs]
            mb = sum(len(b) for _, b, _ in bodies) / 1e6
            with (
                database(backend, cfg) as db,
                hub_world(db, cfg, NATIONAL_CELLS, policies="example") as world,
                serve_hub(world) as (url, _cache),
            ):
                path = f"/taxii2/hub/collections/{world.collection_id()}/objects/"
                clients = {s: client(url, world.creds[s]) for s in NATIONAL_CELLS}
                try:
                    out = post_all(clients, path, bodies, budget_s=budget)
                finally:
                    for c in clients.values():
                        c.close()
            rate = out["stored"] / out["seconds"] if out["seconds"] else None
            note = (
                f"{len(NATIONAL_CELLS)} publishers round-robin, 1 request in flight; "
                "example policies, field encryption on"
            )
            if out["errors"]:
                note += f"; errors: {out['errors']}"
            if out["stored"] < cfg.ingest_objects:
                note += f"; only {out['stored']}/{cfg.ingest_objects} stored within {budget:.0f}s"
            results.add(
                Row(
                    PHASE,
                    "hub",
                    backend,
                    f"objects/s to status complete, envelopes of {size:,}",
                    rate,
                    "objects/s",
                    n=out["stored"],
                    note=note,
                    target_value="≥ 2,500 (1,000/env, SQLite)" if size == 1000 else "",
                    extra={
                        "seconds": out["seconds"],
                        "megabytes": mb,
                        "failed": out["failed"],
                        "envelope_ms_p50": percentile(out["latencies"], 50) * 1000,
                        "envelope_ms_p99": percentile(out["latencies"], 99) * 1000,
                    },
                )
            )
            results.add(
                Row(
                    PHASE,
                    "hub",
                    backend,
                    f"envelope latency p50, envelopes of {size:,}",
                    percentile(out["latencies"], 50) * 1000,
                    "ms",
                    n=len(out["latencies"]),
                    note=f"{mb / max(1, len(bodies)) * 1000:.0f} kB per envelope",
                )
            )
