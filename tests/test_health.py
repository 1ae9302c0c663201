"""`/healthz` and `/readyz` as a load balancer and an operator see them."""

from __future__ import annotations

from pathlib import Path

import httpx

from hub.app import create_app
from hub.server import background_server
from hub.settings import Settings
from tests.conftest import World


def test_ready_when_database_current(world: World) -> None:
    r = httpx.get(f"{world.url}/readyz")
    assert r.status_code == 200
    assert r.json()["status"] == "ready"
    assert "x-request-id" in r.headers
    assert httpx.get(f"{world.url}/healthz").json()["status"] == "alive"


def test_not_ready_before_init(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/empty.db", data_dir=tmp_path)
    with background_server(create_app(settings)) as url:
        r = httpx.get(f"{url}/readyz")
        assert httpx.get(f"{url}/healthz").status_code == 200
    assert r.status_code == 503
    assert "init" in r.json()["reason"]


def test_not_ready_when_database_unreachable(tmp_path: Path) -> None:
    settings = Settings(database_url="postgresql://hub@127.0.0.1:1/hub", data_dir=tmp_path)
    with background_server(create_app(settings)) as url:
        r = httpx.get(f"{url}/readyz")
    assert r.status_code == 503
    assert r.json()["status"] == "unavailable"


def test_request_id_is_echoed(world: World) -> None:
    r = httpx.get(f"{world.url}/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = httpx.get(f"{world.url}/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert r.headers["x-request-id"] != "bad id\twith spaces"
