"""Shared fixtures: a real database per backend, the example tenants, a real server on loopback.

Every storage test runs on SQLite and, when ``HUB_TEST_DATABASE_URL`` is set, on PostgreSQL too
(in a schema of its own, dropped at the end). Each test starts from empty tables.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hub.app import create_app
from hub.auth.clients import create_client, scopes_for_kind
from hub.crypto.keyring import LocalKeyring
from hub.objects.protection import forget_cached_keys
from hub.runtime import Hub
from hub.server import background_server
from hub.settings import Settings
from hub.store.db import Database
from hub.store.migrate import upgrade
from hub.store.models import metadata
from hub.tenancy.service import sync_directory, tenant_scope_for_cli
from hub.types import TenantScope

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_TENANTS = REPO / "tenants"
PG_URL = os.environ.get("HUB_TEST_DATABASE_URL")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]


def _with_schema(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database for this session: a SQLite file or a PostgreSQL schema."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "hub.db"
        yield f"sqlite:///{path}"
        return
    assert PG_URL
    schema = f"hub_test_{uuid.uuid4().hex[:12]}"
    admin = Database(PG_URL)
    with admin.engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _with_schema(PG_URL, schema)
    finally:
        with admin.engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def database(database_url: str) -> Iterator[Database]:
    """The session's Database, migrated to head once."""
    db = Database(database_url)
    upgrade(db)
    yield db
    db.dispose()


def _empty(db: Database) -> None:
    forget_cached_keys()  # cached keys name tenant ids the next test reuses
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
        else:
            for t in tables:
                conn.execute(sa.text(f'DELETE FROM "{t}"'))


@pytest.fixture
def db(database: Database) -> Iterator[Database]:
    """The session database, emptied after the test."""
    try:
        yield database
    finally:
        _empty(database)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with a keyring."""
    path = tmp_path_factory.mktemp("var")
    LocalKeyring.create_or_open(path)
    return path


@pytest.fixture(scope="session")
def settings(database_url: str, data_dir: Path) -> Settings:
    """Settings for the test hub."""
    return Settings(
        environment="test",
        database_url=database_url,
        data_dir=data_dir,
        tenants_dir=EXAMPLE_TENANTS,
        max_content_length=2 * 1024 * 1024,
        log_level="WARNING",
    )


@pytest.fixture(scope="session")
def live_url(settings: Settings, database: Database) -> Iterator[str]:
    """A real hub served by uvicorn on 127.0.0.1 for the whole session (per backend)."""
    app = create_app(settings, hub=Hub(settings, database=database))
    with background_server(app) as url:
        yield url


@dataclass
class World:
    """The example tenants synced into an empty database, with clients made on demand."""

    db: Database
    url: str
    scopes: dict[str, TenantScope] = field(default_factory=dict)
    _clients: dict[tuple[str, tuple[str, ...]], tuple[str, str]] = field(default_factory=dict)

    def scope(self, slug: str) -> TenantScope:
        """The tenant scope of `slug`."""
        if slug not in self.scopes:
            self.scopes[slug] = tenant_scope_for_cli(self.db, slug)
        return self.scopes[slug]

    def apply_policy(self, document: dict[str, Any]) -> None:
        """Make `document` (a policy as in policies/*.yaml) its tenant's policy in force."""
        from hub.sharing.policy import Policy
        from hub.sharing.service import apply_policy

        apply_policy(self.db, Policy.model_validate(document), author="test")

    def creds(self, slug: str, scopes: tuple[str, ...] | None = None) -> tuple[str, str]:
        """(client_id, secret) of a client of `slug` (every scope of its kind by default)."""
        wanted = scopes if scopes is not None else scopes_for_kind(self.scope(slug).kind)
        key = (slug, tuple(wanted))
        if key not in self._clients:
            self._clients[key] = create_client(self.db, slug, wanted, name="test")
        return self._clients[key]


@pytest.fixture
def world(db: Database, live_url: str) -> World:
    """Example tenants and collections in an empty database, and the live server's URL."""
    sync_directory(db, EXAMPLE_TENANTS)
    return World(db=db, url=live_url)


@pytest.fixture
def tenants_copy(tmp_path: Path) -> Path:
    """A writable copy of the example tenants directory."""
    dest = tmp_path / "tenants"
    shutil.copytree(EXAMPLE_TENANTS, dest)
    return dest
