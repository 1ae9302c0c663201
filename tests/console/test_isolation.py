"""The console's isolation matrix: every console route, called by every kind of visitor who must
not get in — nobody, a forged session, an ended session, an idle one, another tenant's officer,
an analyst where a policy officer is needed, a form without its CSRF token or from another site —
and none of the answers reveals the victim's objects or policy.

Add a row to ROUTES whenever a console route is added: `test_every_console_route_is_listed`
fails until it is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
import sqlalchemy as sa

from hub.app import create_app
from hub.settings import Settings
from hub.store.models import ConsoleSession
from tests.conftest import World
from tests.console.conftest import People, csrf_of
from tests.factories import indicator
from tests.taxii.helpers import collection_id, post

VICTIM, INTRUDER = "ng-nctc", "ke-nctc"
ABSENT_PRIVATE = "indicator--0d9e3c6a-0000-4000-8000-00000000abcd"
ABSENT_RED = "indicator--0d9e3c6a-0000-4000-8000-00000000dcba"
R = "/taxii2/hub/"
#: Routes anyone may call: the sign-in form and its post, the front door, static files.
PUBLIC = {
    ("GET", "/console"),
    ("GET", "/console/"),
    ("GET", "/console/sign-in"),
    ("POST", "/console/sign-in"),
    (
        "GET",
        "/console/oidc/start",
    ),  # sign-in through an identity provider (tests/console/test_oidc.py)
    ("GET", "/console/oidc/callback"),
}


@dataclass(frozen=True)
class Secrets:
    """What the victim holds: objects and a policy text nobody else may see."""

    private_object: str
    red_object: str
    policy_rule: str = "victim-only-rule-7f3a9c"

    def leaked_in(self, text: str) -> list[str]:
        return [v for v in (self.private_object, self.red_object, self.policy_rule) if v in text]


def _policy_text(s: Secrets) -> str:
    """A policy of the victim's tenant, as its officer (or an intruder) would type it."""
    return (
        f"tenant: {VICTIM}\nrules:\n  - name: proposed-rule\n    effect: share\n"
        "    match: {types: [indicator], tlp: [green]}\n"
        "    recipients: {communities: [ecowas]}\n"
    )


@dataclass(frozen=True)
class Route:
    """One console route: how to call it about the victim's things, and who may."""

    method: str
    template: str
    path: Callable[[Secrets], str]
    #: "read": any signed-in role of the tenant; "write": a policy officer only.
    needs: str = "read"
    #: What another tenant's officer gets when asking about the victim's things: 404 for an
    #: object, 200 for a page that only ever shows the caller's own tenant.
    other_tenant: int = 200
    form: Callable[[Secrets], dict[str, str]] | None = None


ROUTES: list[Route] = [
    Route("POST", "/console/sign-out", lambda s: "/console/sign-out", form=lambda s: {}),
    # Policy: pages show the caller's own tenant's policy; a text naming another tenant is 400.
    Route("GET", "/console/policy", lambda s: "/console/policy"),
    Route("GET", "/console/policy/history", lambda s: "/console/policy/history"),
    Route(
        "POST",
        "/console/policy/preview",
        lambda s: "/console/policy/preview",
        needs="write",
        other_tenant=400,
        form=lambda s: {"policy": _policy_text(s), "comment": ""},
    ),
    Route(
        "POST",
        "/console/policy/apply",
        lambda s: "/console/policy/apply",
        needs="write",
        other_tenant=400,
        form=lambda s: {"policy": _policy_text(s), "comment": "", "confirm": "yes"},
    ),
    # Overview and directory: only ever the caller's own tenant, and public facts.
    Route("GET", "/console/overview", lambda s: "/console/overview"),
    Route("GET", "/console/directory", lambda s: "/console/directory"),
    # Explain: another tenant's object is 404, like an absent one.
    Route(
        "GET",
        "/console/explain",
        lambda s: f"/console/explain?object={s.private_object}&recipient={INTRUDER}",
        other_tenant=404,
    ),
    # Access: who received one of the victim's objects is 404 to anyone else, like an absent id.
    Route(
        "GET",
        "/console/access",
        lambda s: f"/console/access?object={s.private_object}",
        other_tenant=404,
    ),
    Route(
        "GET",
        "/console/access.csv",
        lambda s: f"/console/access.csv?object={s.red_object}",
        other_tenant=404,
    ),
]


def _console_routes(settings: Settings) -> set[tuple[str, str]]:
    from fastapi.routing import iter_route_contexts

    found = set()
    for route in iter_route_contexts(create_app(settings).routes):
        path = getattr(route, "path", "")
        if not path.startswith("/console") or path.startswith("/console/static"):
            continue
        for method in getattr(route, "methods", None) or set():
            if method not in {"HEAD", "OPTIONS"} and (method, path) not in PUBLIC:
                found.add((method, path))
    return found


def test_every_console_route_is_listed(settings: Settings) -> None:
    assert _console_routes(settings) == {(r.method, r.template) for r in ROUTES}


@pytest.fixture
def secrets_(world: World) -> Secrets:
    me = world.scope(VICTIM).identity_id
    private, red = indicator(me, tlp="amber"), indicator(me, tlp="red")
    cid, secret = world.creds(VICTIM)
    with httpx.Client(base_url=world.url, auth=(cid, secret)) as c:
        post(c, f"{R}collections/{collection_id(world, f'{VICTIM}-workspace')}/objects/", [private])
        post(c, f"{R}collections/{collection_id(world, 'shared-exchange')}/objects/", [red])
    secrets = Secrets(private["id"], red["id"])
    world.apply_policy(
        {
            "tenant": VICTIM,
            "rules": [
                {
                    "name": secrets.policy_rule,
                    "effect": "share",
                    "match": {"types": ["indicator"], "tlp": ["green"]},
                    "recipients": {"communities": ["ecowas"]},
                }
            ],
        }
    )
    return secrets


def _call(c: httpx.Client, route: Route, s: Secrets, *, csrf: str | None) -> httpx.Response:
    path = route.path(s)
    if route.method == "GET":
        return c.get(path)
    data = dict(route.form(s) if route.form else {})
    if csrf is not None:
        data["csrf"] = csrf
    return c.post(path, data=data, headers={"Origin": str(c.base_url).rstrip("/")})


def _refused_as_stranger(r: httpx.Response, route: Route) -> None:
    if route.method == "GET":
        assert r.status_code == 303 and r.headers["location"] == "/console/sign-in"
    else:
        assert r.status_code == 401
    assert "hub_console=" not in r.headers.get("set-cookie", "") or "Max-Age=0" in r.headers.get(
        "set-cookie", ""
    )


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.template}")
def test_only_the_tenants_own_people_get_in(
    route: Route, people: People, world: World, secrets_: Secrets
) -> None:
    """One test per route (the victim's world is costly to build): strangers and dead sessions,
    another tenant's officer, and for forms the CSRF token and the role."""
    strangers_and_dead_sessions_get_nothing(route, people, world, secrets_)
    another_tenants_officer_sees_nothing_of_the_victims(route, people, secrets_)
    if route.method == "POST" and route.template != "/console/sign-out":
        forms_need_the_csrf_token_and_the_right_role(route, people, secrets_)


def strangers_and_dead_sessions_get_nothing(
    route: Route, people: People, world: World, secrets_: Secrets
) -> None:
    # Nobody, and a forged cookie.
    for cookie in (None, "forged-" + "A" * 40):
        c = people.client()
        if cookie:
            c.cookies.set("hub_console", cookie)
        r = _call(c, route, secrets_, csrf="whatever")
        _refused_as_stranger(r, route)
        assert not secrets_.leaked_in(r.text)
    # A session that ended (signed out) or went idle.
    victim = people.create(VICTIM)
    for end in ("idle", "ended"):
        c = people.sign_in(victim)
        token = c.cookies["hub_console"]
        csrf = csrf_of(c.get("/console/overview").text)
        with world.db.write_session() as session:
            values = (
                {"last_seen_at": int(time.time()) - 7200}
                if end == "idle"
                else {"ended_at": int(time.time())}
            )
            session.execute(sa.update(ConsoleSession).values(**values))
        assert c.cookies["hub_console"] == token
        r = _call(c, route, secrets_, csrf=csrf)
        _refused_as_stranger(r, route)
        assert not secrets_.leaked_in(r.text)


def another_tenants_officer_sees_nothing_of_the_victims(
    route: Route, people: People, secrets_: Secrets
) -> None:
    c = people.sign_in(people.create(INTRUDER))
    csrf = csrf_of(c.get("/console/overview").text)
    r = _call(c, route, secrets_, csrf=csrf)
    if route.template == "/console/sign-out":
        assert r.status_code == 303
        return
    assert r.status_code == route.other_tenant, r.text[:500]
    if route.other_tenant != 404:
        assert not secrets_.leaked_in(r.text)
        return
    # The victim's object answers exactly like an object that does not exist (bar the id the
    # intruder typed, which the page repeats back).
    absent = Secrets(ABSENT_PRIVATE, ABSENT_RED)
    r_absent = _call(c, route, absent, csrf=csrf)
    assert r_absent.status_code == 404
    typed = {secrets_.private_object: ABSENT_PRIVATE, secrets_.red_object: ABSENT_RED}
    text = r.text
    for victim_id, absent_id in typed.items():
        text = text.replace(victim_id, absent_id)
    assert text == r_absent.text


def forms_need_the_csrf_token_and_the_right_role(
    route: Route, people: People, secrets_: Secrets
) -> None:
    officer = people.sign_in(people.create(VICTIM))
    assert _call(officer, route, secrets_, csrf=None).status_code == 403
    assert _call(officer, route, secrets_, csrf="forged").status_code == 403
    if route.needs == "write":
        analyst = people.sign_in(people.create(VICTIM, role="analyst"))
        csrf = csrf_of(analyst.get("/console/overview").text)
        assert _call(analyst, route, secrets_, csrf=csrf).status_code == 403
