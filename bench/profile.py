"""Profile: where a hub process spends its time ingesting and serving (py-spy, sampling).

The hub runs as `python -m bench.hubproc` over SQLite; `py-spy record --format raw` samples it
(non-idle threads only) while the bench drives one workload at a time: ingest (envelopes of
1,000, realistic TLP mix) and serve (filtered page + get-by-id, HTTP Basic through the hub's
own auth). Every credential is used once before sampling starts, so a one-off scrypt
verification of a client secret is not in the profile. Stacks are attributed to stages by their
innermost recognisable frame, and the hub's own functions are ranked by inclusive time.
Install py-spy with `.venv/bin/pip install py-spy` (the `bench` extra in bench/README.md).
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson

from bench.common import (
    NATIONAL_CELLS,
    PARTNER_READER,
    REPO,
    Config,
    HubWorld,
    client,
    database,
    envelopes,
    hub_world,
)
from bench.procs import Child, started
from bench.report import Results, Row
from hub.server import free_port

__all__ = ["STAGES", "attribute", "run"]

PHASE = "profile"
MAX_RAW_BYTES = 200_000  # raw py-spy dumps larger than this are deleted after attribution

#: (stage, substrings of a frame) checked from the innermost frame outwards; first match wins.
STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("auth: scrypt", ("hash_secret", "_scrypt", "verify_secret")),
    ("auth: other (hub.auth)", ("(hub/auth/",)),
    ("STIX validation (hub.stix)", ("(hub/stix/",)),
    ("sharing decision (hub.sharing)", ("(hub/sharing/",)),
    ("DB driver execute (sqlite3/psycopg)", ("do_execute", "do_executemany", "psycopg/")),
    ("SQLAlchemy (compile, params, rows)", ("sqlalchemy/",)),
    ("hub.store repositories", ("(hub/store/",)),
    ("ingest/read orchestration (hub.objects)", ("(hub/objects/",)),
    ("TAXII router: body, JSON, envelope (hub.taxii)", ("(hub/taxii/",)),
    ("logging / request middleware (hub.logging)", ("(hub/logging.py",)),
    ("FastAPI / Starlette / pydantic", ("fastapi/", "starlette/", "pydantic")),
    ("uvicorn / h11 / asyncio / anyio", ("uvicorn/", "h11/", "httptools", "asyncio/", "anyio/")),
]


#: leaf frames of a thread that waits: anyio's idle workers, the (uvloop, C) event loop.
IDLE_LEAVES = (
    "Condition.wait (",
    "Event.wait (",
    "Runner.run (asyncio/runners.py",
    "select (selectors.py",
    "sleep (asyncio/tasks.py",
    "_worker (concurrent/futures/thread.py",
)


def _parse(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        frames, _, count = line.rpartition(" ")
        if frames and count.isdigit():
            stacks.append((frames.split(";"), int(count)))
    return stacks


def _func(frame: str) -> str:
    """`name (path:line)` -> `name (short/path.py)`."""
    name, _, loc = frame.partition(" (")
    file = loc.rsplit(":", 1)[0]
    for marker in ("/site-packages/", "/work/main/", str(REPO) + "/"):
        if marker in file:
            file = file.split(marker, 1)[1]
    return f"{name} ({file})"


def attribute(stacks: list[tuple[list[str], int]]) -> dict[str, Any]:
    """Stage shares, top self and top inclusive functions (hub's own and overall)."""
    idle = sum(c for f, c in stacks if f and any(f[-1].startswith(i) for i in IDLE_LEAVES))
    stacks = [(f, c) for f, c in stacks if f and not any(f[-1].startswith(i) for i in IDLE_LEAVES)]
    total = sum(c for _, c in stacks) or 1
    stages: Counter[str] = Counter()
    selfs: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    for frames, count in stacks:
        stage = "other"
        for frame in reversed(frames):
            hit = next((s for s, keys in STAGES if any(k in frame for k in keys)), None)
            if hit:
                stage = hit
                break
        stages[stage] += count
        if frames:
            selfs[_func(frames[-1])] += count
        for f in {_func(fr) for fr in frames}:
            incl[f] += count

    def pct(c: Counter[str], n: int, keep: Callable[[str], bool] = lambda _k: True) -> list[Any]:
        return [[k, round(100 * v / total, 1)] for k, v in c.most_common() if keep(k)][:n]

    return {
        "samples": total,
        "idle_samples_dropped": idle,
        "stages": pct(stages, 20),
        "top_self": pct(selfs, 15),
        "hub_inclusive": pct(incl, 25, lambda k: "(hub/" in k),
    }


@contextlib.contextmanager
def _hub(world: HubWorld, cfg: Config, *, auth_cache: bool) -> Iterator[tuple[str, Child]]:
    port = free_port()
    argv = [sys.executable, "-m", "bench.hubproc", "--port", str(port)]
    if auth_cache:
        argv.append("--auth-cache")
    base = f"http://127.0.0.1:{port}"
    with started(
        argv,
        ready_url=f"{base}/healthz",
        env=world.env(HUB_PORT=str(port)),
        cwd=REPO,
        log=cfg.workdir / f"profile-hub-{port}.log",
    ) as child:
        yield base, child


def _record(pyspy: str, pid: int, out: Path, workload: Callable[[], int]) -> int:
    """Run `workload` under py-spy; returns what the workload returns (requests made)."""
    spy = subprocess.Popen(
        [pyspy, "record", "--pid", str(pid), "--rate", "250", "--format", "raw", "-o", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        time.sleep(1.0)  # py-spy attaches
        return workload()
    finally:
        with contextlib.suppress(ProcessLookupError):
            spy.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
        try:
            spy.wait(60)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(spy.pid, signal.SIGKILL)
            spy.wait(10)


def run(cfg: Config, results: Results) -> None:
    """Profile ingest, serve (as shipped) and serve (auth cached) on SQLite."""
    pyspy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(pyspy).exists():
        results.add(Row(PHASE, "hub", "sqlite", "profile", None, "", note="n/a: py-spy absent"))
        return
    outdir = Path(results.options.get("output") or REPO / "bench" / "results") / "profiles"
    outdir.mkdir(parents=True, exist_ok=True)
    stamp = results.started.strftime("%Y-%m-%d")
    slugs = sorted({*NATIONAL_CELLS, PARTNER_READER})
    with database("sqlite", cfg) as db, hub_world(db, cfg, slugs) as world:
        col = world.collection_id()
        path = f"/taxii2/hub/collections/{col}/objects/"
        n_obj = 12_000 if cfg.quick else 40_000
        envs = envelopes(n_obj, 1000, seed=cfg.seed + 909)
        bodies = [(s, orjson.dumps({"objects": o})) for s, o in envs]
        ids = [o["id"] for _, objs in envs for o in objs]
        deadline_s = cfg.profile_seconds

        def ingest_load(base: str) -> int:
            clients = {s: client(base, world.creds[s]) for s in NATIONAL_CELLS}
            done = 0
            stop = time.perf_counter() + deadline_s
            try:
                for slug, body in bodies:
                    clients[slug].post(path, content=body).raise_for_status()
                    done += 1
                    if time.perf_counter() > stop:
                        break
            finally:
                for c in clients.values():
                    c.close()
            return done

        def serve_load(base: str) -> int:
            with ThreadPoolExecutor(2) as pool:  # two clients keep the hub busy
                return sum(pool.map(lambda k: serve_one(base, k), range(2)))

        def serve_one(base: str, k: int) -> int:
            rng = random.Random(cfg.seed + k)
            done = 0
            stop = time.perf_counter() + deadline_s
            with client(base, world.creds[PARTNER_READER]) as c:
                first = c.get(path, params={"limit": 1})
                lo = first.headers.get("X-TAXII-Date-Added-First")
                while time.perf_counter() < stop and done < 100_000:
                    if done % 2 == 0 and lo:
                        r = c.get(
                            path,
                            params={"match[type]": "indicator", "added_after": lo, "limit": 100},
                        )
                    else:
                        r = c.get(f"{path}{ids[int(rng.random() * len(ids))]}/")
                    _ = r.content
                    done += 1
            return done

        runs: list[tuple[str, bool, Callable[[str], int]]] = [
            ("ingest", False, ingest_load),
            ("serve (hub auth)", False, serve_load),
        ]
        for name, cached, load in runs:
            with _hub(world, cfg, auth_cache=cached) as (base, child):
                for slug in slugs:  # each credential verified once before sampling starts
                    with client(base, world.creds[slug]) as c:
                        c.get(path, params={"limit": 1}).raise_for_status()
                out = outdir / f"{stamp}-{name.split()[0]}{'-cached' if cached else ''}.txt"
                requests = _record(pyspy, child.pid, out, lambda base=base, load=load: load(base))
            if not out.exists():
                results.add(
                    Row(PHASE, "hub", "sqlite", name, None, "", note="py-spy wrote nothing")
                )
                continue
            prof = attribute(_parse(out))
            prof["requests"] = requests
            prof["raw"] = str(out.relative_to(REPO)) if out.is_relative_to(REPO) else str(out)
            if out.stat().st_size > MAX_RAW_BYTES:  # keep results small: the JSON has the summary
                out.unlink()
                prof["raw"] = f"(deleted: over {MAX_RAW_BYTES // 1000} kB)"
            results.profiles[name] = prof
            for k, (stage, share) in enumerate(prof["stages"][:6]):
                results.add(
                    Row(
                        PHASE,
                        "hub",
                        "sqlite",
                        f"{name}: {stage}",
                        share,
                        "% busy",
                        n=prof["samples"],
                        note=f"{requests} requests under py-spy" if k == 0 else "",
                    )
                )
