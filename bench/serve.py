"""Phase 2, serve: paging, filtered pages, get-by-id and concurrent readers over real HTTP."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import orjson
import sqlalchemy as sa

from bench.common import (
    NATIONAL_CELLS,
    PARTNER_READER,
    PUBLISHER_READER,
    AuthCache,
    Config,
    HubWorld,
    client,
    database,
    envelopes,
    hub_world,
    serve_hub,
    summary,
)
from bench.report import Results, Row
from hub.auth.clients import create_client
from hub.objects.ingest import Publisher, ingest
from hub.store.models import Grant
from hub.timeutil import format_micros

__all__ = [
    "concurrent_readers",
    "load_in_process",
    "page_all",
    "run",
    "sample",
    "visible_date_added",
]

PHASE = "serve"


def load_in_process(world: HubWorld, envs: Sequence[tuple[str, list[dict[str, Any]]]]) -> int:
    """Publish through the hub's own ingest path (no HTTP); returns objects stored."""
    col = world.collection_id()
    stored = 0
    for slug, objs in envs:
        status = ingest(world.db, Publisher(world.scopes[slug]), col, objs)
        stored += status.success_count
    return stored


def visible_date_added(world: HubWorld, reader: str) -> list[tuple[str, int]]:
    """(object id, date_added) of every version `reader` may read in the shared exchange (its
    grants in force under the publishers' current policies), in date_added order."""
    g = Grant.__table__  # type: ignore[attr-defined]
    t = sa.table("tenant", sa.column("id"), sa.column("policy_seq"))
    with world.db.session() as session:
        rows = session.execute(
            sa.select(g.c.object_id, g.c.date_added)
            .join(t, t.c.id == g.c.owner_id)
            .where(
                g.c.reader_id == world.scopes[reader].tenant_id,
                g.c.collection_id == world.collection_id(),
                g.c.policy_seq == t.c.policy_seq,
            )
            .order_by(g.c.date_added)
        )
        return [(r[0], r[1]) for r in rows]


def page_all(
    c: httpx.Client, path: str, *, limit: int = 1000, budget_s: float = 600.0
) -> tuple[int, float, int, bool]:
    """Follow `next` through a whole collection: (objects, seconds, pages, finished).

    Pages are parsed with orjson: in `serve` the client shares the hub's process (and GIL),
    and the standard library's parser took about a quarter of the busy time of paging objects
    stored without sealed fields (1,000 per page).
    """
    count = pages = 0
    params: dict[str, Any] = {"limit": limit}
    start = time.perf_counter()
    while True:
        r = c.get(path, params=params)
        r.raise_for_status()
        body = orjson.loads(r.content)
        count += len(body.get("objects", []))
        pages += 1
        nxt = body.get("next")
        if not body.get("more") or not nxt:
            return count, time.perf_counter() - start, pages, True
        if time.perf_counter() - start > budget_s:
            return count, time.perf_counter() - start, pages, False
        params = {"limit": limit, "next": nxt}


def sample(
    fn: Callable[[int], httpx.Response], n: int, *, budget_s: float, min_n: int = 3
) -> tuple[list[float], int]:
    """Time `fn(i)` up to `n` times (at least `min_n`), stopping past `budget_s`.

    Returns latencies in seconds and the number of responses that were not 200.
    """
    lat: list[float] = []
    bad = 0
    start = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        r = fn(i)
        _ = r.content
        lat.append(time.perf_counter() - t0)
        if r.status_code != 200:
            bad += 1
        if len(lat) >= min_n and time.perf_counter() - start > budget_s:
            break
    return lat, bad


def concurrent_readers(
    make_client: Callable[[], httpx.Client],
    request: Callable[[httpx.Client, random.Random], httpx.Response],
    *,
    threads: int,
    seconds: float,
    seed: int,
) -> dict[str, Any]:
    """`threads` readers issuing `request` back to back for a bounded `seconds`."""
    stop = time.perf_counter() + seconds
    lock = threading.Lock()
    lat: list[float] = []
    errors = [0]
    max_requests = 200_000  # a hard bound besides time

    def reader(k: int) -> None:
        rng = random.Random(seed + k)
        mine: list[float] = []
        bad = 0
        with make_client() as c:
            while time.perf_counter() < stop and len(mine) < max_requests:
                t0 = time.perf_counter()
                try:
                    r = request(c, rng)
                    _ = r.content
                    if r.status_code != 200:
                        bad += 1
                except httpx.HTTPError:
                    bad += 1
                mine.append(time.perf_counter() - t0)
        with lock:
            lat.extend(mine)
            errors[0] += bad

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        for f in [pool.submit(reader, k) for k in range(threads)]:
            f.result()
    elapsed = time.perf_counter() - start
    return {"requests": len(lat), "seconds": elapsed, "errors": errors[0], "latencies": lat}


def _latency_rows(
    results: Results,
    backend: str,
    label: str,
    lat: list[float],
    bad: int,
    note: str,
    target: str = "",
) -> None:
    s = summary(lat)
    for q in ("p50", "p95", "p99"):
        results.add(
            Row(
                PHASE,
                "hub",
                backend,
                f"{label} {q}",
                s[q],
                "ms",
                n=len(lat),
                note=note + (f"; {bad} non-200" if bad else ""),
                target_value=target if q == "p99" else "",
            )
        )


def run(cfg: Config, results: Results) -> None:
    """Serve figures per backend, with the hub's Basic auth as is and with the cache shim."""
    for backend in cfg.backends:
        envs = envelopes(cfg.serve_objects, 1000, seed=cfg.seed + 11, shareable=True)
        slugs = sorted({*NATIONAL_CELLS, PARTNER_READER})
        with (
            database(backend, cfg) as db,
            hub_world(db, cfg, slugs) as world,
            serve_hub(world) as (url, cache),
        ):
            stored = load_in_process(world, envs)
            path = f"/taxii2/hub/collections/{world.collection_id()}/objects/"
            visible = visible_date_added(world, PARTNER_READER)
            ids = [oid for oid, _ in visible]
            added = [when for _, when in visible]
            results.note(
                f"serve/{backend}: {stored:,} shareable indicators (CLEAR/GREEN) from "
                f"{len(NATIONAL_CELLS)} AU national cells under the bench policy (each shares "
                f"up to AMBER with the african-union community); reader '{PARTNER_READER}' "
                f"(partner, african-union) may read {len(added):,}; reader "
                f"'{PUBLISHER_READER}' (a publisher) reads its own and the others' objects; "
                "get-by-id samples only objects the reader may read"
            )
            _measure(cfg, results, backend, world, url, path, cache, ids, added)


def _measure(
    cfg: Config,
    results: Results,
    backend: str,
    world: HubWorld,
    url: str,
    path: str,
    cache: AuthCache,
    ids: list[str],
    added: list[int],
) -> None:
    rng = random.Random(cfg.seed)
    partner = world.creds[PARTNER_READER]
    upper = max(1, len(added) - 100)

    def filtered(c: httpx.Client, r: random.Random) -> httpx.Response:
        after = format_micros(added[int(r.random() * upper)] - 1)
        return c.get(path, params={"match[type]": "indicator", "added_after": after, "limit": 100})

    def by_id(c: httpx.Client, r: random.Random) -> httpx.Response:
        return c.get(f"{path}{ids[int(r.random() * len(ids))]}/")

    # What does authenticating a client cost? The first request of a fresh client pays the full
    # verification of its secret (scrypt); later ones whatever the hub's auth does per request.
    cache.disable()
    cold: list[float] = []
    for k in range(3):
        cid, secret = create_client(world.db, PARTNER_READER, ("taxii:read",), f"cold-{k}")
        with client(url, (cid, secret)) as cc:
            t0 = time.perf_counter()
            cc.get(f"{path}{ids[k]}/").raise_for_status()
            cold.append(time.perf_counter() - t0)
    results.add(
        Row(
            PHASE,
            "hub",
            backend,
            "get-by-id, first request of a new client (secret verification)",
            summary(cold)["p50"],
            "ms",
            n=len(cold),
            note="HTTP Basic; includes the hub's scrypt check of the secret",
        )
    )
    modes: list[tuple[str, str]] = [("hub auth", "HTTP Basic through the hub's own auth")]
    if cache.available:
        modes.append(("bench auth cache", "Basic verified once, then cached by a bench shim"))
    else:
        results.note(cache.reason)
    for mode, how in modes:
        if mode == "bench auth cache":
            cache.enable()
        else:
            cache.disable()
        samples = cfg.latency_samples
        readers = [PARTNER_READER, PUBLISHER_READER]
        with client(url, partner) as c:
            c.get(path, params={"limit": 1})  # warm: connection, caches, first auth
            for reader in readers:
                with client(url, world.creds[reader]) as rc:
                    rc.get(path, params={"limit": 1})  # warm this reader's credential
                    count, secs, pages, _ = page_all(rc, path, limit=1000)
                results.add(
                    Row(
                        PHASE,
                        "hub",
                        backend,
                        f"paging all, limit=1000, as {reader} [{mode}]",
                        count / secs if secs else None,
                        "objects/s",
                        n=count,
                        note=f"{pages} pages; {how}",
                        target_value="≥ 50,000" if reader == PARTNER_READER else "",
                    )
                )
            lat, bad = sample(lambda _i: filtered(c, rng), samples, budget_s=120)
            _latency_rows(
                results,
                backend,
                f"filtered 100-object page (match[type], added_after) [{mode}]",
                lat,
                bad,
                f"as {PARTNER_READER}; {how}",
                "≤ 25 (at 1M)",
            )
            lat, bad = sample(lambda _i: by_id(c, rng), samples, budget_s=120)
            _latency_rows(
                results,
                backend,
                f"get-by-id [{mode}]",
                lat,
                bad,
                f"as {PARTNER_READER}; {how}",
                "≤ 10 (at 1M)",
            )
        out = concurrent_readers(
            lambda: client(url, partner),
            filtered,
            threads=cfg.concurrency,
            seconds=cfg.concurrent_seconds,
            seed=cfg.seed,
        )
        s = summary(out["latencies"])
        results.add(
            Row(
                PHASE,
                "hub",
                backend,
                f"{cfg.concurrency} concurrent readers, filtered page [{mode}]",
                out["requests"] / out["seconds"],
                "req/s",
                n=out["requests"],
                note=(
                    f"{out['seconds']:.1f}s; p50 {s['p50']:.1f} ms, p99 {s['p99']:.1f} ms; "
                    f"{out['errors']} errors; client threads share the hub's process (GIL)"
                ),
                extra=s,
            )
        )
    cache.disable()
