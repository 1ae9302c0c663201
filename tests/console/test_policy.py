"""The policy page over the live server: the policy in force, problems shown under the line they
concern, the impact preview against what was published through TAXII, apply with its
confirmation and the re-evaluation it starts, the history with its diffs, and who may do what."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import yaml

from hub.jobs.handlers import default_handlers
from hub.jobs.runner import JobRunner
from hub.sharing.policy import Policy
from hub.sharing.service import submit_policy
from hub.store.policies import current_version
from tests.conftest import World
from tests.console.conftest import People, csrf_of, post_form
from tests.factories import indicator
from tests.taxii.helpers import HEADERS, objects_url, post

PAGE = "/console/policy"
PREVIEW = "/console/policy/preview"
APPLY = "/console/policy/apply"
HISTORY = "/console/policy/history"

POLICY_A = """\
tenant: ng-nctc
description: version A
rules:
  - name: ecowas-indicators
    effect: share
    match: {types: [indicator], tlp: [green, amber]}
    recipients: {communities: [ecowas]}
"""
GHANA_GREEN = """\
tenant: ng-nctc
description: Ghana gets our green indicators
rules:
  - name: ghana-green
    effect: share
    match: {types: [indicator], tlp: [green]}
    recipients: {tenants: [gh-ctfc]}
"""
GHANA_AMBER = GHANA_GREEN.replace("green", "amber")
# Line 8 names a TLP level that does not exist.
BAD_TLP = """\
tenant: ng-nctc
description: version B
rules:
  - name: ghana-indicators
    effect: share
    match:
      types: [indicator]
      tlp: [green, purple]
    recipients: {tenants: [gh-ctfc]}
"""
# Line 10 names a recipient that does not exist.
UNKNOWN_RECIPIENT = """\
tenant: ng-nctc
rules:
  - name: ghana-indicators
    effect: share
    match: {types: [indicator]}
    recipients: {tenants: [gh-ctfc]}
  - name: to-atlantis
    effect: share
    recipients:
      tenants: [gh-ctfc, atlantis]
"""


# --- reading pages the way a user does ---------------------------------------------------------


def text_of(fragment: str) -> str:
    """What a reader sees of an HTML fragment: tags dropped, entities decoded, spaces folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def marked(page: str, name: str) -> str:
    """The visible text of the element marked ``data-testid=name``."""
    m = re.search(rf'<(\w+)[^>]*data-testid="{re.escape(name)}"[^>]*>(.*?)</\1>', page, re.DOTALL)
    assert m, f"nothing marked {name!r} on the page"
    return text_of(m.group(2))


def has(page: str, name: str) -> bool:
    return f'data-testid="{name}"' in page


def textarea(page: str) -> str:
    """The text the policy editor holds (as a browser reads it: the first newline dropped)."""
    m = re.search(r'<textarea[^>]*name="policy"[^>]*>\n?(.*?)</textarea>', page, re.DOTALL)
    assert m, "no policy editor on the page"
    return html.unescape(m.group(1))


def hidden(page: str, name: str) -> str:
    """The value of the hidden field `name`."""
    m = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    assert m, f"no hidden field {name!r}"
    return html.unescape(m.group(1))


def problem_under(page: str, line: int) -> str:
    """The problem shown in the row right under the numbered line `line` of the listing."""
    m = re.search(
        rf'<tr id="line-{line}"[^>]*>.*?</tr>\s*<tr class="problem"[^>]*>.*?'
        r'<p class="error">(.*?)</p>',
        page,
        re.DOTALL,
    )
    assert m, f"no problem under line {line}"
    return text_of(m.group(1))


def listed_ids(page: str, name: str) -> list[str]:
    """The object ids of the list marked `name`."""
    m = re.search(rf'data-testid="{name}"[^>]*>(.*?)</ul>', page, re.DOTALL)
    assert m, f"no list {name!r}"
    return re.findall(r"<li>([^<]+)</li>", m.group(1))


# --- the hub's side ----------------------------------------------------------------------------


def version_of(world: World, slug: str) -> int:
    """The version of `slug`'s policy in force, from the database."""
    with world.db.session() as s:
        v = current_version(s, world.scope(slug).tenant_id)
        return v.seq if v is not None else 0


def run_jobs(world: World) -> None:
    """What the hub's runner thread does (the test server runs without one)."""
    JobRunner(world.db, default_handlers()).run_until_idle()


def publish(world: World, objects: list[dict[str, Any]]) -> None:
    with httpx.Client(base_url=world.url, auth=world.creds("ng-nctc"), headers=HEADERS) as c:
        post(c, objects_url(world, "shared-exchange"), objects)


def visible(world: World, slug: str) -> set[str]:
    """The ids of the indicators `slug` reads from shared-exchange through TAXII."""
    with httpx.Client(base_url=world.url, auth=world.creds(slug), headers=HEADERS) as c:
        body = c.get(objects_url(world, "shared-exchange"), params={"match[type]": "indicator"})
    assert body.status_code == 200, body.text
    return {o["id"] for o in body.json().get("objects", [])}


def nigerian_indicators(world: World, tlp: str, n: int) -> list[str]:
    """Publish `n` Nigerian indicators at `tlp` through TAXII; their ids."""
    me = world.scope("ng-nctc").identity_id
    objects = [indicator(me, tlp=tlp) for _ in range(n)]
    publish(world, objects)
    return [o["id"] for o in objects]


# --- the tests ---------------------------------------------------------------------------------


def test_an_officer_sees_the_policy_in_force_in_the_editor(world: World, people: People) -> None:
    c = people.sign_in(people.create("ng-nctc"))
    fresh = c.get(PAGE)
    assert fresh.status_code == 200
    assert marked(fresh.text, "policy-version") == "0"
    assert yaml.safe_load(textarea(fresh.text)) == {"tenant": "ng-nctc"}

    world.apply_policy(yaml.safe_load(POLICY_A))
    r = c.get(PAGE)
    assert marked(r.text, "policy-version") == "1"
    assert marked(r.text, "policy-author") == "test"
    editor = yaml.safe_load(textarea(r.text))
    assert editor["description"] == "version A"
    assert [rule["name"] for rule in editor["rules"]] == ["ecowas-indicators"]
    assert f'action="{PREVIEW}"' in r.text and '<label for="policy-text">' in r.text
    assert not has(r.text, "read-only")


def test_an_invalid_policy_shows_each_problem_under_its_line_and_applies_nothing(
    world: World, people: People
) -> None:
    world.apply_policy(yaml.safe_load(POLICY_A))
    c = people.sign_in(people.create("ng-nctc"))

    r = post_form(c, PREVIEW, {"policy": BAD_TLP, "comment": "narrow it"}, page=PAGE)
    assert r.status_code == 400
    assert 'role="alert"' in r.text and "Nothing was applied" in marked(r.text, "problems")
    under = problem_under(r.text, 8)
    assert under.startswith("rules[0] (ghana-indicators).match.tlp.1:")
    assert "'amber+strict'" in under
    assert r.text.count('class="problem"') == 1 and has(r.text, "problem-line-8")
    assert '<a href="#problem-1">Line 8, rules[0] (ghana-indicators).match.tlp.1</a>' in r.text
    assert textarea(r.text) == BAD_TLP  # the officer's text comes back to be fixed
    assert 'value="narrow it"' in r.text

    r = post_form(c, PREVIEW, {"policy": UNKNOWN_RECIPIENT}, page=PAGE)
    assert r.status_code == 400
    assert problem_under(r.text, 10) == (
        "rules[1] (to-atlantis).recipients.tenants.1: unknown tenant 'atlantis'"
    )

    # Applying the text anyway (a tampered form) is refused alike and stores nothing.
    data = {"policy": BAD_TLP, "confirm": "yes", "based_on": "1"}
    r = post_form(c, APPLY, data, page=PAGE)
    assert r.status_code == 400 and "match.tlp.1" in problem_under(r.text, 8)
    assert version_of(world, "ng-nctc") == 1
    page = c.get(PAGE).text
    assert marked(page, "policy-version") == "1"
    assert yaml.safe_load(textarea(page))["description"] == "version A"


def test_a_preview_counts_what_each_recipient_would_gain_and_lose(
    world: World, people: People
) -> None:
    green = nigerian_indicators(world, "green", 3)
    amber = nigerian_indicators(world, "amber", 2)
    world.apply_policy(yaml.safe_load(GHANA_AMBER))
    c = people.sign_in(people.create("ng-nctc"))

    r = post_form(c, PREVIEW, {"policy": GHANA_GREEN}, page=PAGE)
    assert r.status_code == 200, r.text
    assert marked(r.text, "gained-gh-ctfc") == "3"
    assert marked(r.text, "lost-gh-ctfc") == "2"
    assert marked(r.text, "kept-gh-ctfc") == "0"
    assert listed_ids(r.text, "gained-ids-gh-ctfc") == sorted(green)
    assert listed_ids(r.text, "lost-ids-gh-ctfc") == sorted(amber)
    assert marked(r.text, "gained-interpol") == marked(r.text, "lost-interpol") == "0"
    assert not has(r.text, "ids-interpol")
    assert "5 objects you have published" in marked(r.text, "preview-summary")
    # The apply form carries exactly the text previewed; a preview stores nothing.
    assert hidden(r.text, "policy") == GHANA_GREEN and hidden(r.text, "based_on") == "1"
    assert version_of(world, "ng-nctc") == 1

    same = post_form(c, PREVIEW, {"policy": GHANA_AMBER}, page=PAGE)
    assert has(same.text, "identical") and marked(same.text, "gained-gh-ctfc") == "0"


def test_applying_needs_the_confirmation_then_the_partner_receives_the_objects(
    world: World, people: People
) -> None:
    green = set(nigerian_indicators(world, "green", 3))
    officer = people.create("ng-nctc")
    c = people.sign_in(officer)
    assert not visible(world, "gh-ctfc") & green

    preview = post_form(c, PREVIEW, {"policy": GHANA_GREEN, "comment": "Ghana asked"}, page=PAGE)
    form = {
        "policy": hidden(preview.text, "policy"),
        "based_on": hidden(preview.text, "based_on"),
        "comment": "Ghana asked",
    }
    unticked = post_form(c, APPLY, form, page=PAGE)
    assert unticked.status_code == 400
    assert "tick" in marked(unticked.text, "apply-error")
    assert marked(unticked.text, "gained-gh-ctfc") == "3"  # the impact, shown again
    assert version_of(world, "ng-nctc") == 0

    r = post_form(c, APPLY, {**form, "confirm": "yes"}, page=PAGE)
    assert r.status_code == 303
    done_url = r.headers["location"]
    m = re.fullmatch(r"/console/policy\?applied=1&job=([0-9a-f-]+)", done_url)
    assert m, done_url
    page = c.get(done_url).text
    assert marked(page, "applied") == f"Version 1 applied; re-evaluation job {m.group(1)} queued."
    assert marked(page, "policy-version") == "1"
    assert marked(page, "policy-author") == f"user:{officer.username}"
    assert marked(page, "policy-comment") == "Ghana asked"

    run_jobs(world)
    assert "done" in marked(c.get(done_url).text, "job-state")
    assert visible(world, "gh-ctfc") & green == green
    assert not visible(world, "interpol") & green

    again = post_form(c, APPLY, {**form, "confirm": "yes", "based_on": "1"}, page=PAGE)
    assert again.status_code == 303 and again.headers["location"] == "/console/policy?unchanged=1"
    assert "Nothing changed" in marked(c.get(again.headers["location"]).text, "unchanged")
    assert version_of(world, "ng-nctc") == 1

    # A preview made against version 1 does not apply once another version is in force.
    world.apply_policy(yaml.safe_load(GHANA_AMBER))
    stale = post_form(c, APPLY, {**form, "confirm": "yes", "based_on": "1"}, page=PAGE)
    assert stale.status_code == 409
    assert "version 2 came into force" in marked(stale.text, "apply-error")
    assert version_of(world, "ng-nctc") == 2


def test_history_shows_each_version_with_its_diff_page_by_page(
    world: World, people: People
) -> None:
    for n in range(1, 22):
        doc = {**yaml.safe_load(POLICY_A), "description": f"version {n}"}
        if n == 21:
            doc["rules"] = doc["rules"] + yaml.safe_load(GHANA_GREEN)["rules"]
        submit_policy(world.db, Policy.model_validate(doc), author="test", comment=f"change {n}")
    c = people.sign_in(people.create("ng-nctc", "analyst"))

    newest = c.get(HISTORY)
    assert newest.status_code == 200
    shown = [int(v) for v in re.findall(r'data-testid="version-(\d+)"', newest.text)]
    assert shown == list(range(21, 1, -1))
    assert marked(newest.text, "comment-21") == "change 21"
    assert marked(newest.text, "author-21") == "test"
    diff = re.search(r'data-testid="diff-21"[^>]*>(.*?)</pre>', newest.text, re.S)
    assert diff
    assert '<span class="del">-description: version 20</span>' in diff.group(1)
    assert '<span class="add">+description: version 21</span>' in diff.group(1)
    assert '<span class="add">+- name: ghana-green</span>' in diff.group(1)
    assert '<span class="hunk">--- a/policies/ng-nctc.yaml@v20</span>' in diff.group(1)
    assert 'href="/console/policy/history?before=2"' in newest.text

    older = c.get(HISTORY, params={"before": 2})
    assert re.findall(r'data-testid="version-(\d+)"', older.text) == ["1"]
    assert '<span class="hunk">--- /dev/null</span>' in older.text
    assert has(older.text, "newest") and not has(older.text, "older")


def test_an_analyst_reads_the_policy_but_may_not_preview_or_apply(
    world: World, people: People
) -> None:
    world.apply_policy(yaml.safe_load(POLICY_A))
    c = people.sign_in(people.create("ng-nctc", "analyst"))
    r = c.get(PAGE)
    assert r.status_code == 200
    assert "Only policy officers change the policy" in marked(r.text, "read-only")
    shown = re.search(r'<pre data-testid="policy-yaml">(.*?)</pre>', r.text, re.DOTALL)
    assert shown and yaml.safe_load(html.unescape(shown.group(1)))["description"] == "version A"
    assert "<textarea" not in r.text and PREVIEW not in r.text
    assert has(c.get(HISTORY).text, "version-1")
    for path in (PREVIEW, APPLY):
        data = {"policy": GHANA_GREEN, "confirm": "yes", "based_on": "1"}
        refused = post_form(c, path, data, page=PAGE)
        assert refused.status_code == 403, path
        assert "Only a policy officer" in refused.text
    assert version_of(world, "ng-nctc") == 1


def test_another_tenants_officer_never_sees_this_policy(world: World, people: People) -> None:
    secret = GHANA_GREEN.replace("Ghana gets our green indicators", "ng-eyes-only-4711")
    ng = people.sign_in(people.create("ng-nctc"))
    applied = post_form(ng, APPLY, {"policy": secret, "confirm": "yes"}, page=PAGE)
    assert applied.status_code == 303
    ng_done = applied.headers["location"]
    assert "ng-eyes-only-4711" in ng.get(PAGE).text

    ke = people.sign_in(people.create("ke-nctc"))
    for path in (PAGE, HISTORY, ng_done):
        r = ke.get(path)
        assert r.status_code == 200, path
        assert "ng-eyes-only-4711" not in r.text and "ghana-green" not in r.text
    r = ke.get(ng_done)
    assert marked(r.text, "policy-version") == "0" and not has(r.text, "applied")
    assert has(ke.get(HISTORY).text, "no-history")

    # Submitting Nigeria's document as Kenya: it is always Kenya's own policy that is at stake.
    r = post_form(ke, PREVIEW, {"policy": secret}, page=PAGE)
    assert r.status_code == 400
    assert problem_under(r.text, 1) == "tenant: must be 'ke-nctc', the tenant submitting"
    r = post_form(ke, APPLY, {"policy": secret, "confirm": "yes"}, page=PAGE)
    assert r.status_code == 400
    assert version_of(world, "ng-nctc") == 1 and version_of(world, "ke-nctc") == 0


def test_posting_without_the_csrf_token_or_from_elsewhere_is_refused(
    world: World, people: People
) -> None:
    c = people.sign_in(people.create("ng-nctc"))
    own = {"Origin": str(c.base_url).rstrip("/")}
    data = {"policy": GHANA_GREEN, "confirm": "yes"}
    for path in (PREVIEW, APPLY):
        assert c.post(path, data=data, headers=own).status_code == 403, path
        assert c.post(path, data={**data, "csrf": "guess"}, headers=own).status_code == 403
        token = csrf_of(c.get(PAGE).text)
        evil = {"Origin": "http://evil.example"}
        assert c.post(path, data={**data, "csrf": token}, headers=evil).status_code == 403
    assert version_of(world, "ng-nctc") == 0
    signed_out = people.client().post(APPLY, data=data, headers=own)
    assert signed_out.status_code == 401
