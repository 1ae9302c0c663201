"""`fusion-hub demo` on a fresh SQLite hub: TAXII clients and one policy officer per tenant,
whose printed credentials sign in to the console; running it again changes nobody's secrets."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import httpx

from hub.app import create_app
from hub.console import totp
from hub.demo.run import CONSOLE_USERS_FILE, CREDENTIALS_FILE, run_demo
from hub.server import background_server
from hub.settings import Settings
from tests.conftest import EXAMPLE_TENANTS, REPO


def test_demo_people_sign_in_to_the_console_and_a_rerun_keeps_them(tmp_path: Path) -> None:
    settings = Settings(
        environment="development",
        database_url=f"sqlite:///{tmp_path / 'hub.db'}",
        data_dir=tmp_path / "var",
        tenants_dir=EXAMPLE_TENANTS,
        policies_dir=REPO / "policies",
        log_level="WARNING",
    )
    summary = run_demo(settings, publish_sample_data=False)
    users_file = settings.data_dir / CONSOLE_USERS_FILE
    people = json.loads(users_file.read_text())
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600
    clients = json.loads((settings.data_dir / CREDENTIALS_FILE).read_text())
    assert set(people) == set(clients)  # one policy officer per tenant
    officer = people["ng-nctc"]
    assert officer["username"] in summary and officer["password"] in summary
    assert "/console/" in summary

    again = run_demo(settings, publish_sample_data=False)
    assert json.loads(users_file.read_text()) == people
    assert officer["password"] in again

    app = create_app(settings)
    with background_server(app) as url, httpx.Client(base_url=url) as c:
        r = c.post(
            "/console/sign-in",
            data={
                "username": officer["username"],
                "password": officer["password"],
                "code": totp.now_code(officer["totp_secret"]),
            },
        )
        assert r.status_code == 303
        page = c.get("/console/overview")
        assert page.status_code == 200 and "ng-nctc" in page.text
