"""Phase 7, peers: the hub, OASIS `medallion` and EclecticIQ `opentaxii`, same data, same run.

Every server runs in a process of its own on 127.0.0.1 and gets the same envelopes (shareable
indicators from six publishers, so the hub's partner reader sees all of them, like the peers'
single user) and the same requests, on a ladder of store sizes. Each ladder step (ingest up to
the size, page through everything with limit=1000, sample the filtered 100-object page and
get-by-id) must finish within a time budget; a server that overruns stops there, and the table
compares it with the hub at the largest size it completed. A peer that cannot be installed or
started is reported, not fatal.
"""

from __future__ import annotations

import base64
import contextlib
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson

from bench.common import (
    NATIONAL_CELLS,
    PARTNER_READER,
    REPO,
    TAXII,
    Config,
    database,
    envelopes,
    hub_world,
    summary,
    taxii_ts,
)
from bench.procs import started
from bench.report import Results, Row
from bench.serve import page_all
from hub.server import free_port

__all__ = ["PeerUnavailable", "Target", "ensure_venv", "run"]

PHASE = "peers"
PEERS_DIR = REPO / "bench" / "peers"  # git-ignored: the peers' virtualenvs live here


class PeerUnavailable(Exception):
    """A peer could not be installed or started; the message says why."""


@dataclass
class Target:
    """A running TAXII 2.1 server and how to talk to it."""

    name: str
    version: str
    base: str
    objects_path: str
    writer_headers: Callable[[str], dict[str, str]]
    reader_headers: dict[str, str]
    note: str = ""


def basic(user: str, secret: str) -> dict[str, str]:
    """An HTTP Basic Authorization header."""
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}


def ensure_venv(name: str, packages: list[str], probe: str) -> tuple[Path, str]:
    """`bench/peers/<name>-venv` with `packages` installed (once); (python, probe output)."""
    root = PEERS_DIR / f"{name}-venv"
    py = root / "bin" / "python"
    marker = root / ".bench-installed"
    spec = " ".join(packages)
    if not (marker.exists() and marker.read_text() == spec and py.exists()):
        PEERS_DIR.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run(
                ["python3", "-m", "venv", "--clear", str(root)],
                check=True,
                capture_output=True,
                timeout=180,
            )
            subprocess.run(
                [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", *packages],
                check=True,
                capture_output=True,
                timeout=900,
            )
        except subprocess.CalledProcessError as exc:
            tail = (exc.stderr or b"").decode(errors="replace").strip().splitlines()[-3:]
            raise PeerUnavailable(f"{name}: install failed: {' | '.join(tail)}") from None
        except subprocess.TimeoutExpired:
            raise PeerUnavailable(f"{name}: install timed out") from None
        marker.write_text(spec)
    out = subprocess.run(
        [str(py), "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    if out.returncode != 0:
        raise PeerUnavailable(f"{name}: does not import: {out.stderr.strip()[-300:]}")
    return py, out.stdout.strip()


# ---------------------------------------------------------------- the hub as a peer


@contextlib.contextmanager
def hub_target(cfg: Config, *, auth_cache: bool) -> Iterator[Target]:
    """The hub via `python -m bench.hubproc` over a fresh SQLite database."""
    from hub import __version__

    slugs = sorted({*NATIONAL_CELLS, PARTNER_READER})
    with database("sqlite", cfg) as db, hub_world(db, cfg, slugs) as world:
        port = free_port()
        argv = [sys.executable, "-m", "bench.hubproc", "--port", str(port)]
        if auth_cache:
            argv.append("--auth-cache")
        base = f"http://127.0.0.1:{port}"
        name = "hub (auth cached)" if auth_cache else "hub (own auth)"
        log = cfg.workdir / f"peer-hub-{port}.log"
        with started(
            argv, ready_url=f"{base}/healthz", env=world.env(HUB_PORT=str(port)), cwd=REPO, log=log
        ):
            creds = world.creds
            yield Target(
                name=name,
                version=__version__,
                base=base,
                objects_path=f"/taxii2/hub/collections/{world.collection_id()}/objects/",
                writer_headers=lambda slug: basic(*creds[slug]),
                reader_headers=basic(*creds[PARTNER_READER]),
                note=(
                    "SQLite, one uvicorn process; "
                    + (
                        "Basic verified once then cached (bench shim)"
                        if auth_cache
                        else "HTTP Basic through the hub's own auth (as shipped)"
                    )
                ),
            )


# ---------------------------------------------------------------- the ladder


@dataclass
class Step:
    """What one server did at one store size."""

    size: int
    completed: bool = False
    stopped: str = ""
    loaded: int = 0
    ingest_rate: float | None = None
    paging_rate: float | None = None
    filtered: dict[str, float] = field(default_factory=dict)
    by_id: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


def ladder(target: Target, cfg: Config, bodies: list[tuple[str, bytes, list[str]]]) -> list[Step]:
    """Run the ladder against `target` until a step overruns the budget."""
    steps: list[Step] = []
    loaded = 0
    env_i = 0
    ingest_secs = 0.0
    boundaries: list[float] = []  # wall clock before each envelope
    ids: list[str] = []
    rng = random.Random(cfg.seed)
    budget = cfg.peer_budget
    headers = {"Accept": TAXII, "Content-Type": TAXII}
    with (
        httpx.Client(base_url=target.base, headers=headers, timeout=budget + 30) as w,
        httpx.Client(
            base_url=target.base, headers=headers | target.reader_headers, timeout=budget + 30
        ) as c,
    ):
        for size in cfg.peer_sizes:
            step = Step(size)
            steps.append(step)
            t_step = time.perf_counter()

            def left(t_step: float = t_step) -> float:
                return budget - (time.perf_counter() - t_step)

            try:
                while loaded < size and env_i < len(bodies):
                    slug, body, obj_ids = bodies[env_i]
                    boundaries.append(time.time())
                    t0 = time.perf_counter()
                    r = w.post(
                        target.objects_path, content=body, headers=target.writer_headers(slug)
                    )
                    ingest_secs += time.perf_counter() - t0
                    if r.status_code != 202:
                        raise RuntimeError(f"POST: HTTP {r.status_code} {r.text[:200]}")
                    st = r.json()
                    if st.get("status") != "complete" or st.get("success_count") != len(obj_ids):
                        raise RuntimeError(f"POST: status {str(st)[:200]}")
                    loaded += len(obj_ids)
                    ids.extend(obj_ids)
                    env_i += 1
                    if left() < 0:
                        raise TimeoutError("ingest")
                step.loaded = loaded
                step.ingest_rate = loaded / ingest_secs if ingest_secs else None
                time.sleep(0.01)  # let every server's clock move past the last date_added
                count, secs, _pages, finished = page_all(
                    c, target.objects_path, limit=1000, budget_s=max(0.0, left())
                )
                if not finished:
                    raise TimeoutError("paging")
                if count != loaded:
                    step.stopped = f"paging returned {count} of {loaded} objects"
                step.paging_rate = count / secs if secs else None
                cuts = boundaries[:-1] or boundaries[:1]
                lat: list[float] = []
                while len(lat) < cfg.peer_samples and (left() > 0 or len(lat) < 1):
                    after = taxii_ts(cuts[int(rng.random() * len(cuts))] - 0.000001)
                    t0 = time.perf_counter()
                    r = c.get(
                        target.objects_path,
                        params={"match[type]": "indicator", "added_after": after, "limit": 100},
                    )
                    lat.append(time.perf_counter() - t0)
                    if r.status_code != 200 or len(r.json().get("objects", [])) == 0:
                        raise RuntimeError(f"filtered page: HTTP {r.status_code} {r.text[:200]}")
                step.filtered = summary(lat) | {"n": float(len(lat))}
                if left() < 0:
                    raise TimeoutError("filtered page")
                lat = []
                while len(lat) < cfg.peer_samples and (left() > 0 or len(lat) < 1):
                    oid = ids[int(rng.random() * len(ids))]
                    t0 = time.perf_counter()
                    r = c.get(f"{target.objects_path}{oid}/")
                    lat.append(time.perf_counter() - t0)
                    if r.status_code != 200:
                        raise RuntimeError(f"get-by-id: HTTP {r.status_code} {r.text[:200]}")
                step.by_id = summary(lat) | {"n": float(len(lat))}
                if left() < 0:
                    raise TimeoutError("get-by-id")
                step.completed = not step.stopped
            except TimeoutError as exc:
                step.stopped = f"over the {budget:.0f}s budget during {exc}"
            except httpx.TimeoutException:
                step.stopped = f"a request took longer than the {budget:.0f}s budget"
            except (httpx.HTTPError, RuntimeError, ValueError) as exc:
                step.stopped = f"{type(exc).__name__}: {str(exc)[:300]}"
            step.seconds = time.perf_counter() - t_step
            if not step.completed:
                break
    return steps


# ---------------------------------------------------------------- reporting


def _largest(steps: list[Step]) -> Step | None:
    done = [s for s in steps if s.completed]
    return done[-1] if done else None


def _rows(results: Results, target: Target, step: Step, compare: dict[str, Step | None]) -> None:
    def other(fn: Callable[[Step], float | None]) -> str:
        parts = []
        for name, s in compare.items():
            if name != target.name and s is not None:
                v = fn(s)
                parts.append(f"{name}: {'n/a' if v is None else f'{v:,.1f}'}")
        return "; ".join(parts)

    metrics: list[tuple[str, str, Callable[[Step], float | None]]] = [
        ("ingest, envelopes of 1,000", "objects/s", lambda s: s.ingest_rate),
        ("paging all, limit=1000", "objects/s", lambda s: s.paging_rate),
        ("filtered 100-object page p50", "ms", lambda s: s.filtered.get("p50")),
        ("filtered 100-object page p99", "ms", lambda s: s.filtered.get("p99")),
        ("get-by-id p50", "ms", lambda s: s.by_id.get("p50")),
        ("get-by-id p99", "ms", lambda s: s.by_id.get("p99")),
    ]
    for label, unit, fn in metrics:
        results.add(
            Row(
                PHASE,
                target.name,
                "-",
                f"{label} @ {step.size:,} objects",
                fn(step),
                unit,
                n=step.loaded,
                note=other(fn),
            )
        )


def run(cfg: Config, results: Results) -> None:
    """Every target through the same ladder; then the comparison rows."""
    from bench import peer_medallion, peer_opentaxii

    top = max(cfg.peer_sizes)
    envs = envelopes(top, cfg.peer_envelope, seed=cfg.seed + 505, shareable=True)
    bodies = [(s, orjson.dumps({"objects": o}), [x["id"] for x in o]) for s, o in envs]
    factories: list[tuple[str, Callable[[], contextlib.AbstractContextManager[Target]]]] = [
        ("hub (own auth)", lambda: hub_target(cfg, auth_cache=False)),
        ("hub (auth cached)", lambda: hub_target(cfg, auth_cache=True)),
        ("medallion", lambda: peer_medallion.target(cfg)),
        ("opentaxii", lambda: peer_opentaxii.target(cfg)),
    ]
    all_steps: dict[str, list[Step]] = {}
    targets: dict[str, Target] = {}
    for name, factory in factories:
        try:
            with factory() as target:
                results.versions[target.name] = target.version
                targets[name] = target
                all_steps[name] = ladder(target, cfg, bodies)
        except PeerUnavailable as exc:
            results.add(Row(PHASE, name, "-", "available", None, "", note=str(exc)))
            continue
        except Exception as exc:
            results.add(
                Row(PHASE, name, "-", "available", None, "", note=f"{type(exc).__name__}: {exc}")
            )
            continue
        steps = all_steps[name]
        best = _largest(steps)
        last = steps[-1] if steps else None
        results.add(
            Row(
                PHASE,
                name,
                "-",
                "largest store size completed within budget",
                float(best.size) if best else 0.0,
                "objects",
                note=(
                    f"{targets[name].note}; "
                    + (f"stopped at {last.size:,}: {last.stopped}" if last and last.stopped else "")
                    + f"; budget {cfg.peer_budget:.0f}s per step"
                ),
                extra={"ladder": [s.__dict__ for s in steps]},
            )
        )
    if not targets:
        return
    # compare at each size some target stopped at, and at the top of the ladder
    interesting = sorted(
        {s.size for s in (_largest(v) for v in all_steps.values()) if s is not None}
    )
    for size in interesting:
        at = {
            name: next((s for s in steps if s.size == size and s.completed), None)
            for name, steps in all_steps.items()
        }
        for name, step in at.items():
            if step is not None:
                _rows(results, targets[name], step, at)
