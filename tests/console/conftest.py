"""Console fixtures: people's accounts made through the real service, and httpx clients signed
in through the real sign-in form (password + TOTP) of the live server."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from hub.console import totp
from hub.console.accounts import NewAccount, create_user
from hub.crypto.keyring import LocalKeyring
from hub.settings import Settings
from tests.conftest import World

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class People:
    """Makes console accounts in the world's database and signs them in."""

    def __init__(self, world: World, keyring: LocalKeyring) -> None:
        self.world = world
        self.keyring = keyring
        self._n = 0
        self._clients: list[httpx.Client] = []
        self._steps: dict[str, int] = {}

    def create(self, tenant: str, role: str = "policy-officer") -> NewAccount:
        """A new account of `tenant` with `role`."""
        self._n += 1
        return create_user(
            self.world.db,
            self.keyring,
            tenant=tenant,
            username=f"{role}-{tenant}-{self._n}-{uuid.uuid4().hex[:6]}",
            role=role,
            display_name=f"{role.title()} {self._n} of {tenant}",
        )

    def code(self, account: NewAccount) -> str:
        """A code the hub has not seen for `account` yet (the next step after the last used)."""
        now = int(time.time() // totp.STEP)
        step = max(now, self._steps.get(account.username, now - 1) + 1)
        assert step <= now + 1, "more than two sign-ins of one account within a TOTP step"
        self._steps[account.username] = step
        return totp.hotp(account.totp_secret, step)

    def client(self) -> httpx.Client:
        """A cookie-keeping client of the live server (closed at the end of the test)."""
        c = httpx.Client(base_url=self.world.url, follow_redirects=False, timeout=30)
        self._clients.append(c)
        return c

    def submit(self, c: httpx.Client, account: NewAccount) -> httpx.Response:
        """Post the sign-in form with `account`'s password and a fresh code."""
        return c.post(
            "/console/sign-in",
            data={
                "username": account.username,
                "password": account.password,
                "code": self.code(account),
            },
        )

    def sign_in(self, account: NewAccount) -> httpx.Client:
        """A client signed in as `account` through the sign-in form."""
        c = self.client()
        r = self.submit(c, account)
        assert r.status_code == 303, r.text
        return c

    def close(self) -> None:
        for c in self._clients:
            c.close()


@pytest.fixture
def people(world: World, settings: Settings) -> Iterator[People]:
    """Console accounts and signed-in clients for this test."""
    p = People(world, LocalKeyring.create_or_open(settings.data_dir))
    yield p
    p.close()


def csrf_of(html: str) -> str:
    """The CSRF token a console page carries in its forms."""
    m = CSRF.search(html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def post_form(
    c: httpx.Client, path: str, data: dict[str, str], *, page: str | None = None
) -> httpx.Response:
    """POST a console form the way a browser does: with the page's CSRF token and its Origin."""
    html = c.get(page or path).text
    return c.post(
        path, data={**data, "csrf": csrf_of(html)}, headers={"Origin": str(c.base_url).rstrip("/")}
    )


Signer = Callable[[NewAccount], httpx.Client]
