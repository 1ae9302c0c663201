"""A policy officer's day in a real browser (Chromium driven by Playwright, against the hub on
127.0.0.1): sign in with TOTP, break a policy and see the error, preview a change and see the
numbers, apply it and see a partner's TAXII view change, explain a decision, read the access log,
look up a key, sign out. Another tenant's officer sees none of it. Every page is photographed.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from taxii2client.v21 import Collection

from hub.console.accounts import NewAccount
from hub.jobs.handlers import default_handlers
from hub.jobs.runner import JobRunner
from tests.conftest import REPO, World
from tests.console.browser.conftest import Shots
from tests.console.conftest import People
from tests.factories import indicator
from tests.taxii.helpers import client, collection_id, post

PUBLISHER, PARTNER, OUTSIDER = "ng-nctc", "gh-ctfc", "ke-nctc"
BROKEN = """\
tenant: ng-nctc
rules:
  - name: ghana-green
    effect: share
    match:
      types: [indicator]
      tlp: [green, purple]
    recipients: {tenants: [gh-ctfc]}
"""
GHANA_GREEN = BROKEN.replace("[green, purple]", "[green]")
#: The README shows the policy preview as this test photographs it (refreshed with
#: HUB_UPDATE_README_SCREENSHOT=1).
README_SHOT = REPO / "docs" / "console-policy-preview.png"


def _partner_sees(world: World, ids: set[str]) -> set[str]:
    """Which of `ids` the partner receives through the OASIS TAXII client."""
    cid, secret = world.creds(PARTNER)
    url = f"{world.url}/taxii2/hub/collections/{collection_id(world, 'shared-exchange')}/"
    collection = Collection(url, user=cid, password=secret)
    objects = collection.get_objects().get("objects", [])
    return {o["id"] for o in objects} & ids


def _sign_in(page: Any, world: World, people: People, who: NewAccount, shots: Shots) -> None:
    page.goto(f"{world.url}/console/")
    assert page.url.endswith("/console/sign-in")
    page.get_by_label("User name").fill(who.username)
    page.get_by_label("Password").fill(who.password)
    page.get_by_label("Authenticator code").fill(people.code(who))
    shots.take(page, "sign-in")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/overview")


def test_a_policy_officers_day(
    world: World, people: People, browser_context: Any, shots: Shots
) -> None:
    me = world.scope(PUBLISHER).identity_id
    green = [indicator(me, tlp="green") for _ in range(3)]
    amber = [indicator(me, tlp="amber") for _ in range(2)]
    with client(world, PUBLISHER) as c:
        url = f"/taxii2/hub/collections/{collection_id(world, 'shared-exchange')}/objects/"
        post(c, url, green + amber)
    ids = {o["id"] for o in green + amber}
    assert _partner_sees(world, ids) == set()  # no policy yet: nothing leaves Nigeria

    officer = people.create(PUBLISHER)
    page = browser_context.new_page()

    # A wrong code is refused, then the right one signs in.
    page.goto(f"{world.url}/console/sign-in")
    page.get_by_label("User name").fill(officer.username)
    page.get_by_label("Password").fill(officer.password)
    page.get_by_label("Authenticator code").fill("000000")
    page.get_by_role("button", name="Sign in").click()
    assert "Wrong user name, password or code." in page.get_by_role("alert").inner_text()
    shots.take(page, "sign-in-refused")
    _sign_in(page, world, people, officer, shots)
    assert page.get_by_test_id("total-objects").inner_text().strip() == "5"
    shots.take(page, "overview")

    # Break the policy: the problem appears under the line that is wrong, nothing changes.
    page.get_by_role("link", name="Policy", exact=True).click()
    version = page.get_by_test_id("policy-version").inner_text()
    page.get_by_label("Policy (YAML)").fill(BROKEN)
    page.get_by_role("button", name="Preview the impact").click()
    problem = page.get_by_test_id("problem-line-7")
    assert "rules[0] (ghana-green).match.tlp" in problem.inner_text()
    shots.take(page, "policy-problem")

    # Preview a valid change: Ghana gains the three green indicators, loses nothing.
    page.get_by_label("Policy (YAML)").fill(GHANA_GREEN)
    page.get_by_role("button", name="Preview the impact").click()
    assert page.get_by_test_id(f"gained-{PARTNER}").inner_text().strip() == "3"
    assert page.get_by_test_id(f"lost-{PARTNER}").inner_text().strip() == "0"
    preview = shots.take(page, "policy-preview")
    if os.environ.get("HUB_UPDATE_README_SCREENSHOT") == "1":
        shutil.copyfile(preview, README_SHOT)

    # Apply, which needs the confirmation; then the partner's TAXII view changes.
    page.get_by_role("button", name="Apply this policy").click()
    assert page.get_by_test_id("apply-error").is_visible()
    page.get_by_label("I have reviewed the impact on every recipient above").check()
    page.get_by_role("button", name="Apply this policy").click()
    page.wait_for_url("**/console/policy?applied=*")
    assert "applied" in page.get_by_test_id("applied").inner_text()
    assert page.get_by_test_id("policy-version").inner_text() != version
    shots.take(page, "policy-applied")
    JobRunner(world.db, default_handlers()).run_until_idle()
    assert _partner_sees(world, ids) == {o["id"] for o in green}

    page.get_by_role("link", name="History").click()
    assert "+" in page.get_by_test_id("diff-1").inner_text()
    shots.take(page, "policy-history")

    # Explain: why Ghana gets a green indicator and not an amber one.
    page.get_by_role("link", name="Explain", exact=True).click()
    page.get_by_label("Object id").fill(green[0]["id"])
    page.get_by_label("Recipient", exact=True).select_option(PARTNER)
    page.get_by_role("button", name="Explain", exact=True).click()
    assert "gets this object" in page.get_by_test_id("verdict").first.inner_text()
    deciding = page.locator('[data-testid="step"][data-decides="true"]').first
    assert "ghana-green" in deciding.inner_text()
    shots.take(page, "explain")

    # Access: Ghana's read through TAXII is in the log, and exportable.
    page.get_by_role("link", name="Access", exact=True).click()
    page.get_by_label("Object id").fill(green[0]["id"])
    page.get_by_role("button", name="Show recipients").click()
    assert PARTNER in page.get_by_test_id("deliveries").inner_text()
    with page.expect_download() as download:
        page.get_by_test_id("download-csv").click()
    assert green[0]["id"] in download.value.path().read_text()
    shots.take(page, "access")

    page.get_by_role("link", name="Directory", exact=True).click()
    assert page.get_by_test_id("tenants").get_by_text(PARTNER).count() >= 1
    shots.take(page, "directory")

    # Sign out: the console is closed to this browser until the next sign-in.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/console/sign-in?signed-out=1")
    shots.take(page, "signed-out")
    page.goto(f"{world.url}/console/policy")
    assert page.url.endswith("/console/sign-in")

    # Another tenant's officer, in another browser profile, sees none of it.
    outsider = browser_context.browser.new_context()
    try:
        other = outsider.new_page()
        _sign_in(other, world, people, people.create(OUTSIDER), shots)
        body = other.content()
        assert not any(i in body for i in ids)
        other.goto(f"{world.url}/console/policy")
        assert "ghana-green" not in other.content()
        other.goto(f"{world.url}/console/explain?object={green[0]['id']}&recipient={PARTNER}")
        assert "No such object" in other.get_by_role("alert").inner_text()
        other.goto(f"{world.url}/console/access?object={green[0]['id']}")
        assert (
            PARTNER not in other.get_by_role("main").inner_text().replace(green[0]["id"], "")
            or "No such object" in other.content()
        )
        shots.take(other, "outsider-access")
    finally:
        outsider.close()
