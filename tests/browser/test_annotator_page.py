"""An annotator works through classification and pairwise items with the keyboard alone."""

from __future__ import annotations

from browser_support import seed_people_and_projects
from playwright.sync_api import Page, expect
from sqlalchemy import select

from conftest import Server, login, screenshot
from quorum.accounts import service as accounts
from quorum.assignments import service as assignments
from quorum.models import Assignment, Item, Judgment, User
from quorum.projects import service as projects

# A text field takes every key shown on the page as text, shortcut letters included.
RATIONALE = "B answers the question; a, b, t, s, f, ? and 1 to 4 stay text here."


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
    page.keyboard.type(RATIONALE)
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
        and a.get("rationale") == RATIONALE
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


def test_an_expired_lease_keeps_the_answer(page: Page, server: Server) -> None:
    """When the time runs out, the item, the answer and the message stay: a late submit counts while the
    slot is free; when someone else took it, the page says so and moves on only when asked."""
    ids = seed_people_and_projects(server.database)
    pid = ids["classification"]
    with server.database.session() as db:
        project = projects.find_project(db, pid)
        projects.update_project(db, None, project, {"lease_seconds": 2})
        bob = accounts.create_user(db, "bob", password="correct horse")
        projects.add_member(db, None, project, bob, "annotator")
    login(page, server, "ann")
    page.goto(f"{server.url}/projects/{pid}/work")
    task = page.locator("#task[data-assignment]")
    notice = page.locator("#lease-notice")
    expect(task).to_be_visible()
    first = task.get_attribute("data-assignment") or ""
    expect(notice).to_contain_text("time on this item ran out")
    expect(page.locator("#countdown")).to_have_text("Lease expired")
    page.keyboard.press("Enter")  # nothing chosen: the error shows, the notice stays
    expect(page.locator("#work-error")).to_contain_text("Choose a label")
    page.wait_for_timeout(1500)  # the old page loaded the next item at once, dropping the answer
    expect(task).to_have_attribute("data-assignment", first)
    expect(notice).to_be_visible()
    page.keyboard.press("2")
    page.keyboard.press("Enter")  # the slot is still free: the late answer counts
    expect(page.locator("#done-count")).to_have_text("Done this session: 1")

    expect(task).not_to_have_attribute("data-assignment", first)
    second = task.get_attribute("data-assignment") or ""
    expect(notice).to_contain_text("time on this item ran out")
    with server.database.session() as db:  # meanwhile bob takes the item and answers it
        bob = accounts.get_user(db, "bob")
        claimed = assignments.claim(db, bob, pid)
        assert claimed is not None and claimed.item.external_id == "t1"
        assignments.submit(db, bob, claimed.assignment.id, {"labels": ["neu"]}, 1000)
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    expect(notice).to_contain_text("given to someone else")
    expect(notice).to_contain_text("Your answer stays here")
    page.wait_for_timeout(1500)
    expect(task).to_have_attribute("data-assignment", second)
    expect(page.locator("#task [data-value=pos]")).to_have_attribute("aria-pressed", "true")
    page.locator("#lease-next").focus()
    page.keyboard.press("Enter")  # the focused button moves on (Enter elsewhere would submit again)
    expect(page.locator("#task")).to_contain_text("Nothing left")
    expect(notice).to_be_hidden()

    with server.database.session() as db:
        rows = db.execute(
            select(Item.external_id, User.username, Judgment.answer)
            .join(Item, Item.id == Judgment.item_id)
            .join(User, User.id == Judgment.user_id)
            .order_by(Judgment.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("t0", "ann", {"labels": ["neg"]}),
        ("t1", "bob", {"labels": ["neu"]}),
    ]
