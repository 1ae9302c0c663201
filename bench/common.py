"""Shared machinery: configuration, timing, databases, a hub world, data, HTTP clients."""

from __future__ import annotations

import contextlib
import inspect
import math
import os
import random
import shutil
import tempfile
import threading
import time
import typing
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import FastAPI, Request

from hub.app import create_app
from hub.auth.clients import create_client
from hub.crypto.keyring import LocalKeyring
from hub.demo.generate import TLP_CLEAR, TLP_GREEN, generate_indicators
from hub.runtime import Hub
from hub.server import background_server
from hub.settings import Settings
from hub.sharing.policy import Policy
from hub.sharing.service import apply_policy, sync_policies
from hub.store.db import Database
from hub.store.migrate import upgrade
from hub.store.models import Collection
from hub.tenancy.loader import load_directory
from hub.tenancy.service import sync_directory, tenant_scope_for_cli
from hub.types import TenantScope

__all__ = [
    "NATIONAL_CELLS",
    "PARTNER_READER",
    "POLICIES_DIR",
    "POLICY_SETS",
    "PUBLISHER_READER",
    "REPO",
    "SHARED_COLLECTION",
    "TAXII",
    "TENANTS_DIR",
    "AuthCache",
    "Config",
    "HubWorld",
    "Stopwatch",
    "apply_policies",
    "bench_policy",
    "database",
    "envelopes",
    "hub_world",
    "identities",
    "percentile",
    "serve_hub",
    "summary",
    "taxii_ts",
]

REPO = Path(__file__).resolve().parent.parent
TENANTS_DIR = REPO / "tenants"
POLICIES_DIR = REPO / "policies"
TAXII = "application/taxii+json;version=2.1"
SHARED_COLLECTION = "shared-exchange"  # readers '*', writers '*'
NATIONAL_CELLS = ("gh-ctfc", "ke-nctc", "ml-cnlt", "ne-cclt", "ng-nctc", "so-ctfc")
PARTNER_READER = "acsrt"  # a partner in the african-union community, like every national cell
PUBLISHER_READER = "gh-ctfc"  # a publisher reading the exchange (its own objects and others')
MIGRATION_NOTES: set[str] = set()


@dataclass
class Config:
    """Sizes and budgets of one run (`--quick` picks the small column)."""

    quick: bool
    backends: list[str]
    pg_url: str
    workdir: Path
    seed: int = 7
    ingest_objects: int = 20_000
    envelope_sizes: tuple[int, ...] = (100, 1_000)
    serve_objects: int = 20_000
    latency_samples: int = 200
    concurrency: int = 8
    concurrent_seconds: float = 10.0
    scale_sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    scale_samples: int = 200
    regrant_objects: int = 100_000
    memory_envelope_mb: float = 48.0
    memory_oversize_mb: float = 200.0
    peer_sizes: tuple[int, ...] = (500, 1_000, 2_000, 5_000, 10_000, 20_000)
    peer_envelope: int = 1_000
    peer_samples: int = 20
    peer_budget: float = 90.0
    profile_seconds: float = 20.0
    pg_available: bool = True
    pg_reason: str = ""

    @classmethod
    def make(cls, *, quick: bool, backends: list[str], pg_url: str, workdir: Path) -> Config:
        """The full-run defaults, or the `--quick` ones (about two minutes on two cores)."""
        cfg = cls(quick=quick, backends=backends, pg_url=pg_url, workdir=workdir)
        if quick:
            cfg.ingest_objects = 2_000
            cfg.serve_objects = 2_000
            cfg.latency_samples = 40
            cfg.concurrent_seconds = 3.0
            cfg.scale_sizes = (10_000, 100_000)
            cfg.scale_samples = 40
            cfg.regrant_objects = 20_000
            cfg.memory_envelope_mb = 10.0
            cfg.memory_oversize_mb = 60.0
            cfg.peer_sizes = (500, 1_000, 2_000)
            cfg.peer_samples = 5
            cfg.peer_budget = 15.0
            cfg.profile_seconds = 6.0
        return cfg


# ---------------------------------------------------------------- timing


class Stopwatch:
    """`with Stopwatch() as sw: ...; sw.seconds`."""

    def __init__(self) -> None:
        self.start = 0.0
        self.seconds = 0.0

    def __enter__(self) -> Stopwatch:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    s = sorted(values)
    k = (len(s) - 1) * q / 100
    lo = math.floor(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary(latencies_s: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max in milliseconds."""
    ms = [x * 1000 for x in latencies_s]
    return {
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "p99": percentile(ms, 99),
        "max": max(ms) if ms else math.nan,
    }


def taxii_ts(epoch_seconds: float) -> str:
    """A TAXII/STIX timestamp with microseconds, from a wall-clock time."""
    whole = int(epoch_seconds)
    micros = round((epoch_seconds - whole) * 1_000_000)
    if micros == 1_000_000:
        whole, micros = whole + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{micros:06d}Z"


# ---------------------------------------------------------------- databases


def pg_with_schema(url: str, schema: str) -> str:
    """`url` with the search path set to `schema` (as tests/conftest.py does)."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


def check_postgres(url: str) -> tuple[bool, str]:
    """Can we create a schema there? (True, version) or (False, why not)."""
    try:
        db = Database(url)
        try:
            with db.engine.connect() as conn:
                version = str(conn.execute(sa.text("SHOW server_version")).scalar())
        finally:
            db.dispose()
    except Exception as exc:
        return False, f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    return True, version


def migrate(db: Database) -> None:
    """`hub.store.migrate.upgrade`; while the tree briefly has several migration heads (it is
    edited concurrently), upgrade to all of them with Alembic directly instead."""
    from alembic import command
    from alembic.util.exc import CommandError

    try:
        upgrade(db)
    except CommandError as exc:
        if "head" not in str(exc):
            raise
        from hub.store import migrate as m

        cfg = m._config()
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")
        MIGRATION_NOTES.add("the migrations had several heads: the bench upgraded to all")


@contextlib.contextmanager
def database(kind: str, cfg: Config, *, pool_size: int = 10) -> Iterator[Database]:
    """A fresh, migrated database: a SQLite file in a temp dir, or a PostgreSQL schema.

    Both are removed at the end (the schema is dropped with CASCADE).
    """
    if kind == "sqlite":
        tmp = Path(tempfile.mkdtemp(prefix="bench-sqlite-", dir=cfg.workdir))
        db = Database(f"sqlite:///{tmp / 'hub.db'}", pool_size=pool_size)
        try:
            migrate(db)
            yield db
        finally:
            db.dispose()
            shutil.rmtree(tmp, ignore_errors=True)
        return
    if kind != "postgresql":
        raise ValueError(kind)
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = Database(cfg.pg_url)
    with admin.engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    db = Database(pg_with_schema(cfg.pg_url, schema), pool_size=pool_size)
    try:
        migrate(db)
        yield db
    finally:
        db.dispose()
        with admin.engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# ---------------------------------------------------------------- the hub


def identities() -> dict[str, str]:
    """Tenant slug -> STIX identity id, from the example tenants directory."""
    return {t.slug: t.identity_id for t in load_directory(TENANTS_DIR).tenants}


@dataclass
class HubWorld:
    """The example tenants synced into a database, with one TAXII client per tenant used."""

    db: Database
    data_dir: Path
    scopes: dict[str, TenantScope] = field(default_factory=dict)
    creds: dict[str, tuple[str, str]] = field(default_factory=dict)
    policies: str = "none"  # the policy set in force (POLICY_SETS)
    policy_count: int = 0

    def collection_id(self, alias: str = SHARED_COLLECTION) -> str:
        """The TAXII id of a collection, by alias."""
        with self.db.session() as session:
            col = session.scalars(sa.select(Collection).where(Collection.alias == alias)).first()
            if col is None:
                raise LookupError(alias)
            return col.id

    def settings(self, **overrides: Any) -> Settings:
        """Settings for a hub over this world's database."""
        values: dict[str, Any] = {
            "environment": "development",
            "database_url": self.db.url,
            "data_dir": self.data_dir,
            "tenants_dir": TENANTS_DIR,
            "policies_dir": POLICIES_DIR,
            "log_level": "WARNING",
        }
        values.update(overrides)
        return Settings(**values)

    def env(self, **overrides: str) -> dict[str, str]:
        """HUB_* environment for a hub subprocess over this world."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        env.update(
            {
                "HUB_ENVIRONMENT": "development",
                "HUB_DATABASE_URL": self.db.url,
                "HUB_DATA_DIR": str(self.data_dir),
                "HUB_TENANTS_DIR": str(TENANTS_DIR),
                "HUB_POLICIES_DIR": str(POLICIES_DIR),
                "HUB_LOG_LEVEL": "WARNING",
            }
        )
        env.update(overrides)
        return env


#: Policy sets a world can start with (see README "Readers"): none (a publisher without a
#: policy shares only TLP:CLEAR), the bench's own, or the example ones of policies/.
POLICY_SETS = ("none", "bench", "example")


def bench_policy(slug: str) -> Policy:
    """The bench's policy for a publisher: CLEAR/GREEN/AMBER to the african-union community.

    Every national cell and `acsrt` are in it, so the partner reader sees every object a cell
    publishes at those levels (the peers have no access control). The decision depends on the
    object's TLP only, which lets `bench.bulk` decide once per (publisher, TLP).
    """
    return Policy.model_validate(
        {
            "tenant": slug,
            "description": "bench: share up to TLP:AMBER with the African Union community",
            "rules": [
                {
                    "name": "bench-au",
                    "effect": "share",
                    "match": {"tlp": ["clear", "green", "amber"]},
                    "recipients": {"communities": ["african-union"]},
                }
            ],
        }
    )


def apply_policies(db: Database, which: str, publishers: Sequence[str] = NATIONAL_CELLS) -> int:
    """Put a policy set in force (`none`, `bench` for `publishers`, or `example`); returns how
    many policies were applied. Meant for an empty collection: re-evaluation is then instant."""
    if which == "none":
        return 0
    if which == "example":
        return len(sync_policies(db, POLICIES_DIR, TENANTS_DIR, author="bench"))
    if which != "bench":
        raise ValueError(which)
    for slug in publishers:
        apply_policy(db, bench_policy(slug), author="bench", comment="bench policy")
    return len(publishers)


@contextlib.contextmanager
def hub_world(
    db: Database,
    cfg: Config,
    slugs: Sequence[str],
    *,
    policies: str = "bench",
    field_encryption: bool = True,
) -> Iterator[HubWorld]:
    """Keyring, example tenants (with their keys), a policy set and a client (taxii:read +
    taxii:write) for each of `slugs`.

    A `Hub` over the world's settings registers the field protection for `db` (keyring in the
    world's data dir), so in-process ingest, re-evaluation and bulk reads find their keys there
    instead of in ./var.
    """
    data_dir = Path(tempfile.mkdtemp(prefix="bench-var-", dir=cfg.workdir))
    try:
        os.chmod(data_dir, 0o700)
        LocalKeyring.create_or_open(data_dir)
        world = HubWorld(db=db, data_dir=data_dir)
        Hub(world.settings(field_encryption=field_encryption), database=db)
        sync_directory(db, TENANTS_DIR)
        world.policies = policies
        world.policy_count = apply_policies(db, policies)
        for slug in slugs:
            world.scopes[slug] = tenant_scope_for_cli(db, slug)
            world.creds[slug] = create_client(db, slug, ("taxii:read", "taxii:write"), "bench")
        yield world
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


class AuthCache:
    """Bench-only stand-in for the per-request credential cache that is coming to `hub.auth`.

    Wraps the hub's own `Authorizer` dependencies (found on `hub.taxii.router.Reader/Writer`)
    through FastAPI's `dependency_overrides`: the first request with a given Authorization
    header is verified by the real code (scrypt), later ones reuse its Principal. Toggle with
    `enable()`/`disable()`; `available` is False (with `reason`) if the hub's auth changed shape.
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.overrides: dict[Any, Callable[..., Any]] = {}
        self.reason = ""
        try:
            from hub.taxii import router

            for alias in (router.Reader, router.Writer):
                for meta in typing.get_args(alias)[1:]:
                    dep = getattr(meta, "dependency", None)
                    if dep is None:
                        continue
                    params = list(inspect.signature(dep).parameters)
                    if params != ["request"]:
                        raise TypeError(f"Authorizer takes {params}, expected (request)")
                    self.overrides[dep] = self._wrap(dep)
        except Exception as exc:
            self.overrides.clear()
            self.reason = f"auth cache shim unavailable: {exc}"
        if not self.overrides and not self.reason:
            self.reason = "auth cache shim unavailable: no Authorizer dependency found"

    @property
    def available(self) -> bool:
        """True when the shim could wrap the hub's authorizers."""
        return bool(self.overrides)

    @staticmethod
    def _wrap(dep: Callable[[Request], Any]) -> Callable[[Request], Any]:
        cache: dict[str, Any] = {}
        lock = threading.Lock()

        def cached(request: Request) -> Any:
            key = request.headers.get("authorization", "")
            hit = cache.get(key)
            if hit is None:
                hit = dep(request)
                with lock:
                    cache[key] = hit
            return hit

        return cached

    def enable(self) -> None:
        """Serve further requests with cached principals."""
        self.app.dependency_overrides.update(self.overrides)

    def disable(self) -> None:
        """Back to the hub's own authentication on every request."""
        for dep in self.overrides:
            self.app.dependency_overrides.pop(dep, None)


@contextlib.contextmanager
def serve_hub(world: HubWorld, **settings: Any) -> Iterator[tuple[str, AuthCache]]:
    """The hub on 127.0.0.1 via `hub.server.background_server` (uvicorn in a thread)."""
    s = world.settings(**settings)
    app = create_app(s, hub=Hub(s, database=world.db))
    cache = AuthCache(app)
    with background_server(app) as url:
        yield url, cache


def client(
    base_url: str, auth: tuple[str, str] | None = None, *, timeout: float = 120.0
) -> httpx.Client:
    """An HTTP/1.1 keep-alive client that speaks TAXII 2.1 to 127.0.0.1."""
    if not base_url.startswith("http://127.0.0.1:"):
        raise ValueError(f"the bench only contacts 127.0.0.1, not {base_url}")
    return httpx.Client(
        base_url=base_url,
        auth=auth,
        headers={"Accept": TAXII, "Content-Type": TAXII},
        timeout=timeout,
    )


# ---------------------------------------------------------------- data


def make_shareable(obj: dict[str, Any], rng: random.Random) -> None:
    """Re-mark an indicator CLEAR (10%) or GREEN (90%) and drop granular markings.

    The TLP floor then lets every tenant that shares a community with the publisher read it,
    so a partner reader sees (nearly) everything: used where a read benchmark must page through
    the same objects as the peers, which have no access control.
    """
    obj["object_marking_refs"] = [TLP_CLEAR if rng.random() < 0.1 else TLP_GREEN]
    obj.pop("granular_markings", None)


def envelopes(
    total: int,
    size: int,
    *,
    publishers: Sequence[str] = NATIONAL_CELLS,
    seed: int,
    shareable: bool = False,
) -> list[tuple[str, list[dict[str, Any]]]]:
    """(publisher slug, objects) envelopes: `total` realistic indicators, round-robin publishers.

    `hub.demo.generate.generate_indicators` with a distinct seed per envelope: TLP mix as the
    generator draws it (CLEAR 8%, GREEN 45%, AMBER 32%, AMBER+STRICT 11%, RED 4%) unless
    `shareable`.
    """
    ids = identities()
    rng = random.Random(seed)
    out: list[tuple[str, list[dict[str, Any]]]] = []
    for i in range(math.ceil(total / size)):
        slug = publishers[i % len(publishers)]
        n = min(size, total - i * size)
        objs = list(generate_indicators(n, publisher_identity=ids[slug], seed=seed * 1_000_003 + i))
        if shareable:
            for o in objs:
                make_shareable(o, rng)
        out.append((slug, objs))
    return out
