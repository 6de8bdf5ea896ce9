"""An annotator works through classification and pairwise items with the keyboard alone."""

from __future__ import annotations

from browser_support import seed_people_and_projects
from playwright.sync_api import Page, expect
from sqlalchemy import select

from conftest import Server, login, screenshot
from quorum.models import Assignment, Judgment


def test_keyboard_only_annotation(page: Page, server: Server) -> None:
    ids = seed_people_and_projects(server.database)
    login(page, server, "ann")
    expect(page.locator("table.data")).to_contain_text("sentiment")

    page.goto(f"{server.url}/projects/{ids['classification']}/work")
    expect(page.locator("#task[data-assignment]")).to_be_visible()
    first = page.locator("#task").get_attribute("data-assignment")
    expect(page.locator("#task")).to_contain_text("text number")
    expect(page.locator("#countdown")).to_contain_text("left")
    screenshot(page, "annotator-classification.png")
    page.keyboard.press("Enter")  # nothing chosen yet: a clear message, no submit
    expect(page.locator("#work-error")).to_contain_text("Choose a label")
    page.keyboard.press("2")
    expect(page.locator("#task [data-value=neg]")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Enter")
    expect(page.locator("#done-count")).to_have_text("Done this session: 1")
    expect(page.locator("#task[data-assignment]")).not_to_have_attribute("data-assignment", first or "")
    # Skip the second item with a reason, keyboard only.
    page.keyboard.press("s")
    expect(page.locator("#reason-dialog")).to_be_visible()
    page.keyboard.type("not sure")
    page.keyboard.press("Enter")
    expect(page.locator("#task")).to_contain_text("Nothing left")

    page.goto(f"{server.url}/projects/{ids['pairwise']}/work")
    expect(page.locator(".candidate")).to_have_count(2)
    page.keyboard.press("?")
    expect(page.locator("#help-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    # The item's candidates are "5" and "**4**"; this lease shows them in its own order.
    shown_second = page.locator(".candidate").nth(1).inner_text()
    page.keyboard.press("b")
    page.keyboard.press("4")
    page.locator("[data-field=rationale]").focus()
    page.keyboard.type("B answers the question.")
    screenshot(page, "annotator-pairwise.png")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#task")).to_contain_text("Nothing left")

    with server.database.session() as db:
        rows = db.execute(select(Judgment.answer, Judgment.time_spent_ms)).all()
        (order,) = [o for o in db.scalars(select(Judgment.display_order)) if o is not None]
        skipped = db.scalar(select(Assignment.skip_reason).where(Assignment.status == "skipped"))
    answers = sorted((a for a, _ in rows), key=str)
    assert {"labels": ["neg"]} in answers
    # "B" is the response shown second, stored as the candidate it is: the one whose text was there.
    stored_choice = "AB"[order[1]]
    assert ("4" if stored_choice == "B" else "5") in shown_second
    assert any(
        a.get("choice") == stored_choice
        and a.get("strength") == "significantly"
        and a.get("rationale") == "B answers the question."
        for a in answers
    )
    assert all(ms > 0 for _, ms in rows)
    assert skipped == "not sure"


def test_flagging_reaches_the_manager(page: Page, server: Server) -> None:
    ids = seed_people_and_projects(server.database)
    login(page, server, "ann")
    page.goto(f"{server.url}/projects/{ids['classification']}/work")
    expect(page.locator("#task[data-assignment]")).to_be_visible()
    flagged = page.locator("#task").get_attribute("data-assignment") or ""
    page.keyboard.press("f")
    page.keyboard.type("the text is cut off")
    page.keyboard.press("Enter")
    expect(page.locator("#task")).not_to_have_attribute("data-assignment", flagged)
    page.goto("about:blank")
    page.context.clear_cookies()
    login(page, server, "boss")
    page.goto(f"{server.url}/projects/{ids['classification']}")
    expect(page.locator("#flag-table")).to_contain_text("the text is cut off")
    page.fill("#flag-table input[name=resolution]", "fixed the text")
    page.click("#flag-table button")
    expect(page.locator("#flags")).to_contain_text("(0)")
