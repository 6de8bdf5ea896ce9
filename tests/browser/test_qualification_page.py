"""A failed qualification is told in the workspace instead of work; the manager's reset lets the annotator
take it again, and passing it opens ordinary work."""

from __future__ import annotations

from browser_support import import_rows
from playwright.sync_api import Browser, Page, expect

from conftest import Server, login, screenshot
from quorum.accounts import service as accounts
from quorum.projects import service as projects


def test_failed_qualification_then_manager_reset(page: Page, browser: Browser, server: Server) -> None:
    with server.database.session() as db:
        boss = accounts.create_user(db, "boss", password="correct horse", is_admin=True)
        ann = accounts.create_user(db, "ann", password="correct horse")
        project = projects.create_project(
            db,
            boss,
            name="qualified",
            task_type="classification",
            config={"labels": ["pos", "neg", "neu"]},
            qualification_size=1,
            qualification_threshold=1.0,
        )
        projects.add_member(db, boss, project, boss, "manager")
        projects.add_member(db, boss, project, ann, "annotator")
        pid = project.id
    rows = [
        {"external_id": f"t{i}", "payload": {"text": f"text number {i}"}, "priority": 1} for i in range(2)
    ]
    rows += [
        {"external_id": f"g{i}", "payload": {"text": f"check {i}"}, "gold": {"labels": ["pos"]}}
        for i in range(2)
    ]
    import_rows(server.database, pid, rows)

    login(page, server, "ann")
    page.goto(f"{server.url}/projects/{pid}/work")
    # Gold first, although the ordinary items have a higher priority.
    expect(page.locator("#task")).to_contain_text("check")
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    expect(page.locator("#task")).to_contain_text("You did not pass the qualification")
    expect(page.locator("#task")).to_contain_text("0% < 100%")
    screenshot(page, "qualification-failed.png")

    context = browser.new_context(viewport={"width": 1366, "height": 900})
    manager = context.new_page()
    manager.set_default_timeout(10_000)
    login(manager, server, "boss")
    manager.goto(f"{server.url}/projects/{pid}")
    row = manager.locator("#qualification-table tr[data-username=ann]")
    expect(row).to_contain_text("failed")
    row.get_by_role("button", name="Reset (new attempt)").click()
    expect(manager.locator("#qualification-table tr[data-username=ann]")).to_contain_text("pending")
    expect(manager.locator("#qualification-table tr[data-username=ann] td").nth(1)).to_have_text("2")
    screenshot(manager, "qualification-reset.png")
    context.close()

    page.goto(f"{server.url}/projects/{pid}/work")
    expect(page.locator("#task")).to_contain_text("check")
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    expect(page.locator("#task")).to_contain_text("text number 0")
