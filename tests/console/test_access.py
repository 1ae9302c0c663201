"""The access page: who received a tenant's objects, over real TAXII reads and the audit trail."""

from __future__ import annotations

import csv
import io
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import httpx
import pytest

from hub.console import access
from tests.conftest import World
from tests.console.conftest import People
from tests.factories import indicator
from tests.taxii.helpers import client, objects_url, post

VERSION = "2026-11-01T10:00:00.000000Z"
ABSENT = "indicator--00000000-0000-4000-8000-000000000000"
#: A request id a recipient chose (X-Request-ID) that a spreadsheet would evaluate.
FORMULA_REQUEST_ID = "-1-1-gh-read"

NIGERIA_TO_ECOWAS = {
    "tenant": "ng-nctc",
    "rules": [
        {
            "name": "ecowas-indicators",
            "effect": "share",
            "match": {"types": ["indicator"], "tlp": ["green", "amber"]},
            "recipients": {"communities": ["ecowas"]},
        }
    ],
}

VOID = {"input", "br", "meta", "link", "img", "hr"}


class Html(HTMLParser):
    """What a user sees on a console page: the text of each element with a ``data-testid``,
    their attributes, the rows of the deliveries table, and the form controls and labels."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text: dict[str, list[str]] = defaultdict(list)
        self.attrs: dict[str, dict[str, str | None]] = {}
        self.rows: list[list[str]] = []
        self.row_times: list[str | None] = []
        self.controls: list[str | None] = []
        self.labels: set[str | None] = set()
        self._stack: list[tuple[str, str | None]] = []
        self.feed(html)
        for key, texts in self.text.items():
            self.text[key] = [" ".join(t.split()) for t in texts]
        self.rows = [[" ".join(c.split()) for c in row] for row in self.rows]

    def _in(self, tag: str, testid: str | None = None) -> bool:
        return any(t == tag and (testid is None or i == testid) for t, i in self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        testid = a.get("data-testid")
        if testid:
            self.attrs.setdefault(testid, a)
            self.text[testid].append("")
        if tag == "tr" and testid == "delivery":
            self.rows.append([])
            self.row_times.append(None)
        if tag == "td" and self._in("tr", "delivery"):
            self.rows[-1].append("")
        if tag == "time" and self._in("tr", "delivery"):
            self.row_times[-1] = a.get("datetime")
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.controls.append(a.get("id"))
        if tag == "label":
            self.labels.add(a.get("for"))
        if tag not in VOID:
            self._stack.append((tag, testid))

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, testid in self._stack:
            if testid:
                self.text[testid][-1] += data
        if self._in("td") and self._in("tr", "delivery"):
            self.rows[-1][-1] += data

    def one(self, testid: str) -> str:
        """The text of the single element with `testid`."""
        (text,) = self.text[testid]
        return text

    def totals(self) -> tuple[int, int, int]:
        """(deliveries, object versions, recipients or distinct objects) as the page shows."""
        return (
            int(self.one("total-deliveries")),
            int(self.one("total-versions")),
            int(self.one("total-distinct")),
        )


def local(t: datetime) -> str:
    """`t` as a datetime-local input submits it (to the second)."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def stamp(value: str) -> datetime:
    """A hub timestamp (``…Z``) as a datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class Scene:
    world: World
    a: str  # ng-nctc's indicators, shared with Ghana
    b: str
    ghana_own: str  # gh-ctfc's own indicator, in the same read as a and b
    ghana_client: str
    start: datetime  # before Ghana's reads
    end: datetime  # after them


@pytest.fixture
def scene(world: World) -> Scene:
    """Nigeria publishes two AMBER indicators its policy shares with ECOWAS; Ghana reads one of
    them alone (with a request id of its choosing), then the whole exchange."""
    world.apply_policy(NIGERIA_TO_ECOWAS)
    url = objects_url(world, "shared-exchange")
    a = indicator(world.scope("ng-nctc").identity_id, tlp="amber")
    b = indicator(world.scope("ng-nctc").identity_id, tlp="amber")
    own = indicator(world.scope("gh-ctfc").identity_id, tlp="amber")
    with client(world, "ng-nctc") as c:
        post(c, url, [a, b])
    start = datetime.now(UTC).replace(microsecond=0)
    time.sleep(0.01)
    with client(world, "gh-ctfc") as c:
        post(c, url, [own])
        single = c.get(f"{url}{a['id']}/", headers={"X-Request-ID": FORMULA_REQUEST_ID})
        assert single.status_code == 200 and single.json()["objects"][0]["id"] == a["id"]
        listed = c.get(url, params={"match[type]": "indicator"})
        assert {o["id"] for o in listed.json()["objects"]} == {a["id"], b["id"], own["id"]}
    end = datetime.now(UTC)
    return Scene(world, a["id"], b["id"], own["id"], world.creds("gh-ctfc")[0], start, end)


def _csv(r: httpx.Response) -> list[list[str]]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"].startswith('attachment; filename="')
    assert r.headers["content-disposition"].endswith('.csv"')
    assert r.headers["cache-control"] == "no-store"
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["time", "recipient", "client", "object_id", "version", "request_id"]
    return rows[1:]


def test_the_publisher_sees_who_received_its_object(scene: Scene, people: People) -> None:
    c = people.sign_in(people.create("ng-nctc"))
    r = c.get("/console/access", params={"object": scene.a})
    assert r.status_code == 200
    page = Html(r.text)
    assert page.one("answer-object") == scene.a
    assert page.totals() == (2, 2, 1)  # two reads, one version each, one recipient
    # Oldest first: Ghana's single-object read, then its list read.
    for row in page.rows:
        assert row[1:4] == ["gh-ctfc", scene.ghana_client, VERSION]
    assert page.rows[0][4] == FORMULA_REQUEST_ID
    for t in page.row_times:
        assert t is not None and scene.start <= stamp(t) <= scene.end
    # Asking for a period after the reads: nothing.
    later = Html(
        c.get(
            "/console/access",
            params={"object": scene.a, "since": local(scene.end + timedelta(seconds=1))},
        ).text
    )
    assert later.totals() == (0, 0, 0)
    assert later.rows == [] and later.one("no-deliveries") == "No deliveries in this period."


def test_deliveries_are_paged_with_the_totals_of_every_page(scene: Scene, people: People) -> None:
    c = people.sign_in(people.create("ng-nctc"))
    first = Html(c.get("/console/access", params={"object": scene.a, "limit": 1}).text)
    assert len(first.rows) == 1 and first.rows[0][4] == FORMULA_REQUEST_ID
    assert "first-page" not in first.attrs
    pages = [first]
    while "next-page" in pages[-1].attrs:
        link = pages[-1].attrs["next-page"]["href"]
        assert link is not None and len(pages) < 4
        pages.append(Html(c.get(link).text))
    rows = [row for p in pages for row in p.rows]
    assert [len(p.rows) for p in pages][:2] == [1, 1] and len(rows) == 2
    assert rows[1][4] != FORMULA_REQUEST_ID
    assert {p.totals() for p in pages} == {(2, 2, 1)}
    assert all("first-page" in p.attrs for p in pages[1:])


def test_the_recipient_view_shows_what_it_received_of_ours_in_the_period(
    scene: Scene, people: People
) -> None:
    c = people.sign_in(people.create("ng-nctc"))
    period = {"since": local(scene.start), "until": local(scene.end + timedelta(seconds=1))}
    r = c.get("/console/access", params={"recipient": "gh-ctfc", **period})
    assert r.status_code == 200
    page = Html(r.text)
    assert "Ghana" in page.one("answer-recipient")
    assert page.totals() == (2, 3, 2)  # a alone, then a and b (not Ghana's own indicator)
    delivered = " ".join(row[2] for row in page.rows)
    assert scene.a in delivered and scene.b in delivered
    assert scene.ghana_own not in r.text
    before = {"since": local(scene.start - timedelta(days=1)), "until": local(scene.start)}
    earlier = Html(c.get("/console/access", params={"recipient": "gh-ctfc", **before}).text)
    assert earlier.totals() == (0, 0, 0) and earlier.rows == []
    # A date alone is midnight UTC: the days of the reads, and the day before.
    days = {
        "since": scene.start.date().isoformat(),
        "until": (scene.end.date() + timedelta(days=1)).isoformat(),
    }
    on_the_day = c.get("/console/access", params={"recipient": "gh-ctfc", **days})
    assert Html(on_the_day.text).totals() == (2, 3, 2)
    eve = {
        "since": (scene.start.date() - timedelta(days=1)).isoformat(),
        "until": scene.start.date().isoformat(),
    }
    on_the_eve = c.get("/console/access", params={"recipient": "gh-ctfc", **eve})
    assert Html(on_the_eve.text).totals() == (0, 0, 0)


def test_the_csv_export_has_one_row_per_delivered_version(scene: Scene, people: People) -> None:
    c = people.sign_in(people.create("ng-nctc"))
    period = {"since": local(scene.start), "until": local(scene.end + timedelta(seconds=1))}
    page = Html(c.get("/console/access", params={"recipient": "gh-ctfc", **period}).text)
    link = page.attrs["download-csv"]["href"]
    assert link is not None and link.startswith("/console/access.csv?")
    rows = _csv(c.get(link))
    assert len(rows) == page.totals()[1] == 3
    assert {(r[1], r[2]) for r in rows} == {("gh-ctfc", scene.ghana_client)}
    assert sorted(r[3] for r in rows) == sorted([scene.a, scene.a, scene.b])
    assert {r[4] for r in rows} == {VERSION}
    for r in rows:
        assert scene.start <= stamp(r[0]) <= scene.end
    # The recipient's own request id would be a formula in a spreadsheet: it is text.
    assert rows[0][5] == "'" + FORMULA_REQUEST_ID
    first, second = page.row_times
    assert [r[0] for r in rows] == [first, second, second]
    by_object = _csv(c.get("/console/access.csv", params={"object": scene.a}))
    assert [(r[0], r[3]) for r in by_object] == [(first, scene.a), (second, scene.a)]
    none = _csv(
        c.get("/console/access.csv", params={"recipient": "gh-ctfc", "until": "2020-01-01"})
    )
    assert none == []


def test_the_export_and_the_totals_walk_every_page_of_the_trail(
    scene: Scene, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(access, "_BATCH", 1)  # the in-process server asks one entry at a time
    c = people.sign_in(people.create("ng-nctc"))
    page = Html(c.get("/console/access", params={"recipient": "gh-ctfc"}).text)
    assert page.totals() == (2, 3, 2)
    rows = _csv(c.get("/console/access.csv", params={"recipient": "gh-ctfc"}))
    assert sorted(r[3] for r in rows) == sorted([scene.a, scene.a, scene.b])
    assert len(_csv(c.get("/console/access.csv", params={"object": scene.a}))) == 2


def test_another_tenant_learns_nothing_of_the_publishers_objects(
    scene: Scene, people: People
) -> None:
    # Ghana received the object but did not publish it; Kenya never saw it.
    for slug in ("gh-ctfc", "ke-nctc"):
        c = people.sign_in(people.create(slug))
        theirs = c.get("/console/access", params={"object": scene.a})
        absent = c.get("/console/access", params={"object": ABSENT})
        assert theirs.status_code == absent.status_code == 404
        assert theirs.text.replace(scene.a, "X") == absent.text.replace(ABSENT, "X")
        assert Html(theirs.text).one("access-error") == "No such object"
        assert "answer" not in Html(theirs.text).attrs
        export = c.get("/console/access.csv", params={"object": scene.a})
        assert export.status_code == 404 and export.headers["content-type"].startswith("text/html")
        assert scene.a not in export.text
    kenya = people.sign_in(people.create("ke-nctc"))
    r = kenya.get("/console/access", params={"recipient": "gh-ctfc"})
    assert r.status_code == 200 and Html(r.text).totals() == (0, 0, 0)
    assert scene.a not in r.text and scene.b not in r.text
    export = kenya.get("/console/access.csv", params={"recipient": "gh-ctfc"})
    assert _csv(export) == []


def test_a_tenant_cannot_list_its_own_reads_as_a_recipient(scene: Scene, people: People) -> None:
    c = people.sign_in(people.create("gh-ctfc"))
    assert "(gh-ctfc)" not in c.get("/console/access").text
    r = c.get("/console/access", params={"recipient": "gh-ctfc"})
    assert r.status_code == 400 and "Choose another tenant" in Html(r.text).one("access-error")
    assert scene.a not in r.text and scene.b not in r.text
    assert c.get("/console/access.csv", params={"recipient": "gh-ctfc"}).status_code == 400
    assert c.get("/console/access", params={"recipient": "no-such-tenant"}).status_code == 404


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "yesterday"}, "From 'yesterday' is not a date"),
        ({"until": "2026-13-01"}, "Before '2026-13-01' is not a date"),
        ({"since": "2026-11-02", "until": "2026-11-01T23:59"}, "The period is empty"),
    ],
)
def test_a_bad_period_is_a_400_with_a_clear_message(
    people: People, world: World, params: dict[str, str], message: str
) -> None:
    c = people.sign_in(people.create("ng-nctc"))
    for question in ({"object": ABSENT}, {"recipient": "gh-ctfc"}):
        r = c.get("/console/access", params={**question, **params})
        assert r.status_code == 400
        assert message in Html(r.text).one("access-error")
        assert c.get("/console/access.csv", params={**question, **params}).status_code == 400


def test_the_forms_are_labelled_and_offer_the_other_active_tenants(
    people: People, world: World
) -> None:
    c = people.sign_in(people.create("ng-nctc"))
    r = c.get("/console/access")
    assert r.status_code == 200 and "frame-ancestors 'none'" in r.headers["content-security-policy"]
    page = Html(r.text)
    assert page.controls and all(i in page.labels for i in page.controls)
    assert "who-form" in page.attrs and "recipient-form" in page.attrs
    assert "answer" not in page.attrs
    assert "(gh-ctfc)" in r.text and "(interpol)" in r.text and "(ng-nctc)" not in r.text
    assert "<script>" not in r.text and "style=" not in r.text


def test_without_a_session_nothing_is_shown(scene: Scene, people: People) -> None:
    for cookie in (None, "forged-token-that-means-nothing"):
        c = people.client()
        if cookie:
            c.cookies.set("hub_console", cookie)
        for path in ("/console/access", "/console/access.csv"):
            r = c.get(path, params={"object": scene.a})
            assert r.status_code == 303 and r.headers["location"] == "/console/sign-in"
            assert scene.a not in r.text
