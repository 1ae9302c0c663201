"""Signing people in and out: password + TOTP, sessions that end, CSRF, throttling, headers."""

from __future__ import annotations

import time

import httpx
import sqlalchemy as sa

from hub.app import create_app
from hub.console import totp
from hub.console.accounts import disable_user
from hub.runtime import Hub
from hub.server import background_server
from hub.settings import Settings
from hub.store.db import Database
from hub.store.models import ConsoleSession, ConsoleUser
from tests.conftest import World
from tests.console.conftest import People, csrf_of, post_form


def test_sign_in_with_password_and_code_reaches_the_overview(people: People) -> None:
    officer = people.create("ng-nctc")
    c = people.sign_in(officer)
    cookie = c.cookies.jar
    (session_cookie,) = [k for k in cookie if k.name == "hub_console"]
    assert session_cookie.has_nonstandard_attr("HttpOnly")
    r = c.get("/console/overview")
    assert r.status_code == 200
    assert "ng-nctc" in r.text and "policy-officer" in r.text
    assert r.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_set_cookie_is_httponly_and_samesite_strict(people: People) -> None:
    officer = people.create("ng-nctc")
    r = people.submit(people.client(), officer)
    header = r.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=strict" in header and "path=/" in header


def test_the_database_stores_neither_password_nor_totp_secret_nor_session_token(
    people: People, world: World
) -> None:
    officer = people.create("ng-nctc")
    c = people.sign_in(officer)
    token = c.cookies["hub_console"]
    with world.db.session() as s:
        user = s.scalars(sa.select(ConsoleUser)).one()
        sessions = s.scalars(sa.select(ConsoleSession)).all()
    dump = repr(user.model_dump()) + repr([x.model_dump() for x in sessions])
    for secret in (officer.password, officer.totp_secret, token):
        assert secret not in dump
    assert user.password_hash.startswith("scrypt$")


def test_every_wrong_factor_is_refused_alike(people: People) -> None:
    officer = people.create("ke-nctc")
    good = {"username": officer.username, "password": officer.password}
    wrong_code = totp.hotp(officer.totp_secret, int(time.time() // 30) + 5)
    attempts = [
        {**good, "code": wrong_code},
        {**good, "password": officer.password + "x", "code": totp.now_code(officer.totp_secret)},
        {"username": "nobody-here", "password": officer.password, "code": "123456"},
    ]
    c = people.client()
    for data in attempts:
        r = c.post("/console/sign-in", data=data)
        assert r.status_code == 401
        assert "Wrong user name, password or code." in r.text
        assert "hub_console" not in c.cookies


def test_a_code_signs_in_once(people: People) -> None:
    officer = people.create("ke-nctc")
    code = people.code(officer)
    data = {"username": officer.username, "password": officer.password, "code": code}
    assert people.client().post("/console/sign-in", data=data).status_code == 303
    assert people.client().post("/console/sign-in", data=data).status_code == 401


def test_pages_without_a_session_send_the_browser_to_sign_in(people: People) -> None:
    c = people.client()
    for page in (
        "/console/overview",
        "/console/policy",
        "/console/explain",
        "/console/access",
        "/console/directory",
    ):
        r = c.get(page)
        assert r.status_code == 303 and r.headers["location"] == "/console/sign-in"
    c.cookies.set("hub_console", "forged-token-that-means-nothing")
    assert c.get("/console/overview").status_code == 303


def test_sign_out_ends_the_session_on_the_server(people: People) -> None:
    officer = people.create("ng-nctc")
    c = people.sign_in(officer)
    token = c.cookies["hub_console"]
    r = post_form(c, "/console/sign-out", {}, page="/console/overview")
    assert r.status_code == 303
    # The old cookie, replayed, opens nothing.
    replay = people.client()
    replay.cookies.set("hub_console", token)
    assert replay.get("/console/overview").status_code == 303


def test_sign_out_without_the_csrf_token_or_from_another_origin_is_refused(
    people: People,
) -> None:
    officer = people.create("ng-nctc")
    c = people.sign_in(officer)
    origin = {"Origin": str(c.base_url).rstrip("/")}
    assert c.post("/console/sign-out", data={}, headers=origin).status_code == 403
    assert c.post("/console/sign-out", data={"csrf": "nope"}, headers=origin).status_code == 403
    token = csrf_of(c.get("/console/overview").text)
    evil = {"Origin": "http://evil.example"}
    assert c.post("/console/sign-out", data={"csrf": token}, headers=evil).status_code == 403
    assert c.get("/console/overview").status_code == 200


def test_an_idle_session_ends(people: People, world: World) -> None:
    officer = people.create("ng-nctc")
    c = people.sign_in(officer)
    with world.db.write_session() as s:
        s.execute(sa.update(ConsoleSession).values(last_seen_at=int(time.time()) - 3600))
    assert c.get("/console/overview").status_code == 303


def test_disabling_an_account_ends_its_sessions(people: People, world: World) -> None:
    officer = people.create("ng-nctc")
    c = people.sign_in(officer)
    assert disable_user(world.db, officer.username)
    assert c.get("/console/overview").status_code == 303


def test_repeated_failures_are_throttled(people: People) -> None:
    officer = people.create("ml-cnlt")
    c = people.client()
    codes = []
    for _ in range(5):
        r = c.post(
            "/console/sign-in",
            data={"username": officer.username, "password": "wrong" * 3, "code": "000000"},
        )
        codes.append(r.status_code)
    assert codes == [401] * 5
    r = people.submit(c, officer)
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0


def test_the_console_assets_come_from_the_hub_itself(people: People) -> None:
    c = people.client()
    page = c.get("/console/sign-in").text
    assert "http://" not in page.replace(str(c.base_url), "") and "https://" not in page
    assert c.get("/console/static/console.css").status_code == 200
    assert isinstance(c, httpx.Client)


def test_behind_tls_the_cookie_is_secure_and_host_bound(
    people: People, settings: Settings, database: Database
) -> None:
    """With an https public URL the session cookie is ``__Host-`` prefixed and ``Secure``."""
    officer = people.create("ng-nctc")
    tls = settings.model_copy(update={"public_url": "https://hub.example.org"})
    app = create_app(tls, hub=Hub(tls, database=database))
    with background_server(app) as url, httpx.Client(base_url=url) as c:
        r = people.submit(c, officer)
    assert r.status_code == 303
    header = r.headers["set-cookie"]
    assert header.startswith("__Host-hub_console=")
    lowered = header.lower()
    assert "; secure" in lowered and "path=/" in lowered and "domain" not in lowered
