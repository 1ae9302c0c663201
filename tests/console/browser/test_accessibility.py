"""The console for people who use a keyboard or a screen reader: signing in without a mouse, and
on every page a language, one main heading, headings in order, a name for every control, header
cells for every table, and a visible focus ring."""

from __future__ import annotations

from typing import Any

from tests.conftest import World
from tests.console.browser.conftest import Shots
from tests.console.conftest import People

PAGES = [
    "/console/overview",
    "/console/policy",
    "/console/policy/history",
    "/console/explain",
    "/console/access",
    "/console/directory",
]

#: What a page gets wrong for assistive technology, as a list of sentences (empty: nothing).
AUDIT = """
() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push("no language on <html>");
  const h1 = document.querySelectorAll("h1");
  if (h1.length !== 1) problems.push(`${h1.length} <h1> elements`);
  let last = 0;
  for (const h of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
    const level = Number(h.tagName[1]);
    if (last && level > last + 1) problems.push(`${h.tagName} after H${last}: ${h.textContent}`);
    last = level;
  }
  for (const el of document.querySelectorAll("input, select, textarea, button")) {
    if (el.type === "hidden") continue;
    const named = (el.labels && el.labels.length) || el.getAttribute("aria-label")
      || el.getAttribute("aria-labelledby") || (el.tagName === "BUTTON" && el.textContent.trim());
    if (!named) problems.push(`unnamed ${el.tagName.toLowerCase()} ${el.name || el.id}`);
  }
  for (const t of document.querySelectorAll("table")) {
    if (!t.querySelector("th")) problems.push("a table without header cells");
  }
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) problems.push(`an image without alt: ${img.src}`);
  }
  return problems;
}
"""


def test_signing_in_with_the_keyboard_alone(
    world: World, people: People, browser_context: Any, shots: Shots
) -> None:
    officer = people.create("ng-nctc")
    page = browser_context.new_page()
    page.goto(f"{world.url}/console/sign-in")
    assert page.evaluate("document.activeElement.id") == "username"
    page.keyboard.type(officer.username)
    page.keyboard.press("Tab")
    page.keyboard.type(officer.password)
    page.keyboard.press("Tab")
    page.keyboard.type(people.code(officer))
    page.keyboard.press("Enter")
    page.wait_for_url("**/console/overview")
    # The first Tab reaches the skip link, which is then visible and moves focus to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    shots.take(page, "keyboard")


def test_every_page_names_its_controls_and_orders_its_headings(
    world: World, people: People, browser_context: Any
) -> None:
    officer = people.create("ng-nctc")
    page = browser_context.new_page()
    page.goto(f"{world.url}/console/sign-in")
    page.get_by_label("User name").fill(officer.username)
    page.get_by_label("Password").fill(officer.password)
    page.get_by_label("Authenticator code").fill(people.code(officer))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/overview")
    found = {}
    for path in [*PAGES, "/console/sign-in"]:
        page.goto(f"{world.url}{path}")
        found[path] = page.evaluate(AUDIT)
    assert found == {path: [] for path in found}
