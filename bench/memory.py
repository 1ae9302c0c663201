"""Phase 6, memory: peak RSS (VmHWM) of a hub process ingesting a ~50 MB envelope, refusing a
larger body with 413, and paging through everything.

The hub runs as `python -m uvicorn hub.app:create_app --factory` (as `fusion-hub serve` does)
over a fresh SQLite database. VmHWM is reset between steps through /proc/<pid>/clear_refs, so
each step's peak is its own; a 50 ms VmRSS sampler backs it up.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson

from bench.common import TAXII, Config, client, database, hub_world, identities
from bench.procs import Child, RssSampler, clear_hwm, proc_status_kb, started
from bench.report import Results, Row
from bench.serve import page_all
from hub.demo.generate import generate_indicators
from hub.server import free_port

__all__ = ["run"]

PHASE = "memory"
PUBLISHER = "gh-ctfc"


def _envelope(target_bytes: int, seed: int) -> tuple[bytes, int]:
    ident = identities()[PUBLISHER]
    probe = list(generate_indicators(1000, publisher_identity=ident, seed=seed))
    per = len(orjson.dumps({"objects": probe})) / 1000
    n = max(1000, int(target_bytes / per))
    objs = list(generate_indicators(n, publisher_identity=ident, seed=seed))
    body = orjson.dumps({"objects": objs})
    while len(body) > target_bytes and len(objs) > 1000:
        objs = objs[: int(len(objs) * 0.98)]
        body = orjson.dumps({"objects": objs})
    return body, len(objs)


def _filler(total: int, chunk: int = 1 << 20) -> Iterator[bytes]:
    """A syntactically plausible JSON body of `total` bytes, produced lazily."""
    head = b'{"objects":["'
    yield head
    sent = len(head)
    block = b"x" * chunk
    while sent < total - 3:
        n = min(chunk, total - 3 - sent)
        yield block[:n]
        sent += n
    yield b'"]}'


def _step(child: Child, name: str, action: Any) -> tuple[dict[str, Any], int, int, int]:
    before = proc_status_kb(child.pid)
    reset = clear_hwm(child.pid)
    with RssSampler(child.pid) as sampler:
        t0 = time.perf_counter()
        info = action()
        info["seconds"] = time.perf_counter() - t0
    after = proc_status_kb(child.pid)
    hwm = after["VmHWM"] if reset else max(sampler.peak_kb, after["VmRSS"])
    info["hwm_reset"] = reset
    return info, before["VmRSS"], max(hwm, sampler.peak_kb), after["VmRSS"]


def run(cfg: Config, results: Results) -> None:
    """Start the hub as a subprocess and measure peak RSS per step."""
    with database("sqlite", cfg) as db, hub_world(db, cfg, [PUBLISHER]) as world:
        max_len = 50 * 1024 * 1024
        body, count = _envelope(min(int(cfg.memory_envelope_mb * 1e6), max_len - 1024), cfg.seed)
        port = free_port()
        argv = [
            sys.executable,
            "-m",
            "uvicorn",
            "hub.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        env = world.env(HUB_PORT=str(port), HUB_MAX_CONTENT_LENGTH=str(max_len))
        base = f"http://127.0.0.1:{port}"
        col = world.collection_id()
        path = f"/taxii2/hub/collections/{col}/objects/"
        log = cfg.workdir / "memory-hub.log"
        with (
            started(argv, ready_url=f"{base}/healthz", env=env, log=log) as child,
            client(base, world.creds[PUBLISHER], timeout=900) as c,
        ):
            c.get(path, params={"limit": 10})  # warm-up: imports, pools, first auth
            idle = proc_status_kb(child.pid)
            results.add(
                Row(
                    PHASE,
                    "hub",
                    "sqlite",
                    "RSS after start and one request",
                    idle["VmRSS"] / 1024,
                    "MiB",
                    note=f"max_content_length {max_len / 2**20:.0f} MiB",
                )
            )

            def big_post() -> dict[str, Any]:
                r = c.post(path, content=body)
                st = r.json() if r.status_code == 202 else {}
                return {"status": r.status_code, "stored": st.get("success_count")}

            info, rss0, hwm, _ = _step(child, "ingest", big_post)
            results.add(
                Row(
                    PHASE,
                    "hub",
                    "sqlite",
                    f"peak RSS ingesting a {len(body) / 1e6:.1f} MB envelope",
                    hwm / 1024,
                    "MiB",
                    n=count,
                    note=(
                        f"+{(hwm - rss0) / 1024:.0f} MiB over {rss0 / 1024:.0f} MiB "
                        f"(~{(hwm - rss0) * 1024 / len(body):.1f} x the body); HTTP "
                        f"{info['status']}, {info['stored']} stored in {info['seconds']:.1f}s"
                    ),
                    extra=info,
                )
            )
            oversize = int(cfg.memory_oversize_mb * 1e6)
            for mode in ("Content-Length declared", "chunked, no Content-Length"):

                def too_big(mode: str = mode) -> dict[str, Any]:
                    headers = {"Content-Type": TAXII, "Accept": TAXII}
                    if mode.startswith("Content-Length"):
                        headers["Content-Length"] = str(oversize)
                    try:
                        r = c.post(path, content=_filler(oversize), headers=headers)
                        return {"status": r.status_code}
                    except httpx.HTTPError as exc:
                        return {"status": f"connection closed ({type(exc).__name__})"}

                info, rss0, hwm, _ = _step(child, "413", too_big)
                results.add(
                    Row(
                        PHASE,
                        "hub",
                        "sqlite",
                        f"{oversize / 1e6:.0f} MB body ({mode}): status; RSS growth",
                        (hwm - rss0) / 1024,
                        "MiB",
                        note=(
                            f"HTTP {info['status']} after {info['seconds']:.1f}s; peak "
                            f"{hwm / 1024:.0f} MiB; growth must stay bounded by "
                            f"max_content_length ({max_len / 2**20:.0f} MiB), not the body"
                        ),
                        extra=info,
                    )
                )
                if not child.alive():
                    results.note("memory: the hub process died during the oversize test")
                    return

            def paging() -> dict[str, Any]:
                n, secs, pages, _ = page_all(c, path, limit=1000)
                return {"objects": n, "pages": pages, "rate": n / secs if secs else 0}

            info, rss0, hwm, _ = _step(child, "paging", paging)
            results.add(
                Row(
                    PHASE,
                    "hub",
                    "sqlite",
                    "peak RSS paging everything, limit=1000",
                    hwm / 1024,
                    "MiB",
                    n=info["objects"],
                    note=(
                        f"+{(hwm - rss0) / 1024:.0f} MiB; {info['pages']} pages at "
                        f"{info['rate']:,.0f} objects/s"
                    ),
                )
            )
