"""Command line: choose phases and sizes, run them, print the table, write the JSON."""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench.common import REPO, Config, check_postgres
from bench.report import Results, console

__all__ = ["PHASES", "main"]

#: phase name -> module with `run(cfg, results)`, in the order they run.
PHASES: dict[str, str] = {
    "ingest": "bench.ingest",
    "serve": "bench.serve",
    "scale": "bench.scale",
    "regrant": "bench.regrant",
    "layers": "bench.layers",
    "memory": "bench.memory",
    "peers": "bench.peers",
    "profile": "bench.profile",
}
ALIASES = {"policy": "regrant", "reevaluate": "regrant", "cost": "layers"}
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def _parse_sizes(text: str) -> tuple[int, ...]:
    out = []
    for part in text.split(","):
        p = part.strip().lower().replace("_", "")
        mult = 1
        if p.endswith("k"):
            mult, p = 1_000, p[:-1]
        elif p.endswith("m"):
            mult, p = 1_000_000, p[:-1]
        out.append(int(float(p) * mult))
    return tuple(out)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Fusion Hub benchmarks (prints figures, asserts nothing; 127.0.0.1 only).",
    )
    p.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"comma-separated, from: {', '.join(PHASES)} (default: all)",
    )
    p.add_argument("--quick", action="store_true", help="small sizes: a ~2 minute smoke run")
    p.add_argument(
        "--backends", default="sqlite,postgresql", help="sqlite and/or postgresql (default both)"
    )
    p.add_argument(
        "--pg-url",
        default=os.environ.get("HUB_BENCH_DATABASE_URL", DEFAULT_PG),
        help="PostgreSQL server to create a throw-away schema in (127.0.0.1 only)",
    )
    p.add_argument("--ingest-objects", type=int, help="objects per envelope size (ingest)")
    p.add_argument("--serve-objects", type=int, help="objects in the serve data set")
    p.add_argument("--samples", type=int, help="latency samples per figure (serve, scale)")
    p.add_argument("--scale-sizes", type=_parse_sizes, help="e.g. 10k,100k,1M")
    p.add_argument("--regrant-objects", type=int, help="objects to re-evaluate")
    p.add_argument("--peer-sizes", type=_parse_sizes, help="ladder of store sizes for the peers")
    p.add_argument("--peer-budget", type=float, help="seconds a peer may spend per ladder step")
    p.add_argument("--seconds", type=float, help="duration of the concurrent-readers test")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--output", type=Path, default=REPO / "bench" / "results")
    p.add_argument("--workdir", type=Path, help="scratch space (default: a temp dir, removed)")
    return p


def _versions(results: Results, cfg: Config) -> None:
    from hub import __version__

    v = results.versions
    v["fusion-hub"] = __version__
    import hashlib

    digest = hashlib.sha256()
    for f in sorted((REPO / "hub").rglob("*.py")):
        digest.update(f.relative_to(REPO).as_posix().encode() + b"\0" + f.read_bytes())
    v["hub source"] = f"{REPO / 'hub'} (sha256 of *.py {digest.hexdigest()[:16]})"
    v["python"] = sys.version.split()[0]
    v["sqlite"] = sqlite3.sqlite_version
    for dist in ("fastapi", "uvicorn", "starlette", "sqlalchemy", "psycopg", "httpx", "orjson"):
        try:
            v[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            v[dist] = "absent"
    if "postgresql" in cfg.backends:
        v["postgresql"] = cfg.pg_reason if cfg.pg_available else f"unavailable ({cfg.pg_reason})"


def main(argv: list[str] | None = None) -> int:
    """Run the selected phases; 0 unless the options are wrong."""
    args = _parser().parse_args(argv)
    phases = []
    for name in (s.strip() for s in args.phases.split(",") if s.strip()):
        name = ALIASES.get(name, name)
        if name not in PHASES:
            console.print(f"[red]unknown phase {name!r}[/red]; choose from {', '.join(PHASES)}")
            return 2
        phases.append(name)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not set(backends) <= {"sqlite", "postgresql"}:
        console.print("[red]--backends takes sqlite and/or postgresql[/red]")
        return 2
    if "127.0.0.1" not in args.pg_url and "localhost" not in args.pg_url:
        console.print("[red]--pg-url must point at 127.0.0.1[/red]")
        return 2

    own_workdir = args.workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="fusion-hub-bench-")) if own_workdir else args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    cfg = Config.make(quick=args.quick, backends=backends, pg_url=args.pg_url, workdir=workdir)
    for attr, value in (
        ("ingest_objects", args.ingest_objects),
        ("serve_objects", args.serve_objects),
        ("latency_samples", args.samples),
        ("scale_samples", args.samples),
        ("scale_sizes", args.scale_sizes),
        ("regrant_objects", args.regrant_objects),
        ("peer_sizes", args.peer_sizes),
        ("peer_budget", args.peer_budget),
        ("concurrent_seconds", args.seconds),
    ):
        if value is not None:
            setattr(cfg, attr, value)
    cfg.seed = args.seed

    options = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    options["phases"] = phases
    results = Results(options)
    if "postgresql" in cfg.backends:
        cfg.pg_available, cfg.pg_reason = check_postgres(cfg.pg_url)
        if not cfg.pg_available:
            results.note(f"PostgreSQL skipped: {cfg.pg_reason}")
            cfg.backends = [b for b in cfg.backends if b != "postgresql"]
    _versions(results, cfg)
    console.rule(f"Fusion Hub bench ({'quick' if cfg.quick else 'full'}): {', '.join(phases)}")
    console.print(f"backends: {', '.join(cfg.backends)}; CPUs: {os.cpu_count()}; {workdir}")
    results.note(
        f"{os.cpu_count()} CPU(s) shared with other work on this machine: figures are noisy"
    )
    try:
        for name in phases:
            console.rule(name)
            start = time.perf_counter()
            try:
                importlib.import_module(PHASES[name]).run(cfg, results)
            except KeyboardInterrupt:
                raise
            except Exception as exc:
                results.note(f"phase {name} failed: {type(exc).__name__}: {exc}")
                traceback.print_exc()
            results.phase_seconds[name] = round(time.perf_counter() - start, 1)
            # keep what we have, even if a later phase fails or the run is interrupted
            results.write(args.output, suffix="-quick" if cfg.quick else "")
    except KeyboardInterrupt:
        results.note("interrupted")
    finally:
        if own_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    console.print(results.table())
    for n in results.notes:
        console.print(f"[yellow]•[/yellow] {n}")
    path = results.write(args.output, suffix="-quick" if cfg.quick else "")
    console.print(f"\nwrote {path}")
    return 0
