"""The annotator never loses work: a draft survives a reload, only visible and active time counts, the
lease is extended while the person works, progress comes from the server, and an earlier answer can be
edited as a new version. No console errors (Content-Security-Policy included) on the way."""

from __future__ import annotations

from datetime import timedelta

from browser_support import console_errors, seed_people_and_projects
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from conftest import Server, login, screenshot
from quorum.models import Assignment, Draft, Judgment, JudgmentVersion
from quorum.projects import service as projects

# Every key the pairwise page uses as a shortcut, typed as text.
RATIONALE = "B is right: a, b, t, s, f, q, w, e, j, k, ? and 1 to 4 stay text."


def test_a_draft_its_time_and_progress_survive_a_reload_and_an_answer_can_be_edited(
    page: Page, server: Server
) -> None:
    ids = seed_people_and_projects(server.database)
    pid = ids["pairwise"]
    errors = console_errors(page)
    login(page, server, "ann")
    page.goto(f"{server.url}/projects/{pid}/work")
    task = page.locator("#task[data-assignment]")
    expect(task).to_be_visible()
    assignment = task.get_attribute("data-assignment") or ""
    expect(page.locator("#progress-left")).to_have_text("0")  # the only item is the one held
    page.keyboard.press("b")
    page.keyboard.press("4")
    page.locator("[data-field=rationale]").focus()
    page.keyboard.type(RATIONALE)
    expect(page.locator("#draft-status")).to_have_text("Draft saved")
    # Hidden for a while: that time does not count.
    before = page.evaluate("Quorum.workspace.activeMs()")
    page.evaluate(
        "Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    page.wait_for_timeout(1500)
    hidden = page.evaluate("Quorum.workspace.activeMs()")
    assert hidden - before < 300, (before, hidden)
    page.evaluate(
        "Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'visible'});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    page.mouse.move(10, 10)
    page.wait_for_timeout(600)
    spent_before_reload = page.evaluate("Quorum.workspace.activeMs()")
    assert spent_before_reload >= hidden

    page.reload()
    expect(task).to_have_attribute("data-assignment", assignment)
    expect(page.locator("#draft-status")).to_have_text("Draft restored")
    expect(page.locator("[data-field=rationale]")).to_have_value(RATIONALE)
    expect(page.locator("#task [data-group=choice] [data-value=B]")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#task [data-group=strength] [data-value=significantly]")).to_have_attribute(
        "aria-pressed", "true"
    )
    restored = page.evaluate("Quorum.workspace.activeMs()")
    assert restored >= spent_before_reload - 1000, (restored, spent_before_reload)
    page.keyboard.press("Control+Enter")
    expect(page.locator("#task")).to_contain_text("Nothing left")
    expect(page.locator("#progress-today")).to_have_text("1")
    expect(page.locator("#progress-total")).to_have_text("1")
    with server.database.session() as db:
        (judgment,) = db.scalars(select(Judgment)).all()
        assert judgment.answer["rationale"] == RATIONALE
        assert judgment.time_spent_ms >= restored - 1000
        draft = db.get(Draft, int(assignment))
        assert draft is not None and draft.state["fields"][0] == RATIONALE
        jid, first_choice = judgment.id, judgment.answer["choice"]

    page.reload()  # progress is the server's: the same after a reload
    expect(page.locator("#progress-total")).to_have_text("1")
    page.locator("#recent summary").click()
    page.locator("#recent-list a", has_text="Item p0").click()
    expect(page.locator("#task[data-judgment]")).to_be_visible()
    expect(page.locator("[data-field=rationale]")).to_have_value(RATIONALE)
    expect(page.locator("#current-answer")).to_contain_text(RATIONALE)
    page.keyboard.press("a")  # second thoughts: the response shown first
    page.locator("[data-field=rationale]").fill("A after all.")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#edit-saved")).to_contain_text("version 2")
    screenshot(page, "workspace-edit.png")
    with server.database.session() as db:
        judgment = db.get(Judgment, jid)
        assert judgment is not None and judgment.answer["rationale"] == "A after all."
        assert judgment.answer["choice"] != first_choice
        (version,) = db.scalars(select(JudgmentVersion)).all()
        assert version.answer["rationale"] == RATIONALE
    assert errors == []


def test_the_lease_runs_on_while_the_person_works(page: Page, server: Server) -> None:
    ids = seed_people_and_projects(server.database)
    pid = ids["classification"]
    with server.database.session() as db:
        project = projects.find_project(db, pid)
        projects.update_project(db, None, project, {"lease_seconds": 3, "max_lease_extension_seconds": 30})
    errors = console_errors(page)
    login(page, server, "ann")
    page.goto(f"{server.url}/projects/{pid}/work")
    task = page.locator("#task[data-assignment]")
    expect(task).to_be_visible()
    assignment = int(task.get_attribute("data-assignment") or 0)
    for i in range(12):  # six seconds of work: twice the lease
        page.mouse.move(100 + i * 5, 200)
        page.wait_for_timeout(500)
    expect(page.locator("#countdown")).to_contain_text("left")
    expect(page.locator("#lease-notice")).to_be_hidden()
    with server.database.session() as db:
        lease = db.get(Assignment, assignment)
        assert lease is not None
        assert lease.expires_at - lease.created_at > timedelta(seconds=5)
        assert lease.expires_at - lease.created_at <= timedelta(seconds=33)
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    expect(page.locator("#done-count")).to_have_text("Done this session: 1")
    assert errors == []


def test_phone_width_and_the_dark_theme(browser: Browser, server: Server) -> None:
    """At 390 px, in the system's dark mode: the item, the form and the submit button are reachable by
    scrolling the page itself (no inner scroll box hides them), nothing is wider than the screen, and the
    colours are the dark theme's."""
    ids = seed_people_and_projects(server.database)
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark", is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        errors = console_errors(page)
        login(page, server, "ann")
        page.goto(f"{server.url}/projects/{ids['pairwise']}/work")
        expect(page.locator("#task[data-assignment]")).to_be_visible()
        clipped = page.evaluate(
            """() => {
              const form = document.querySelector('#task .answer-form');
              const boxes = [];
              for (let el = form; el && el !== document.body; el = el.parentElement) {
                const style = getComputedStyle(el);
                if (['auto', 'scroll', 'hidden'].includes(style.overflowY) && el.scrollHeight > el.clientHeight + 1) {
                  boxes.push(el.id || el.className);
                }
              }
              document.querySelectorAll('#task *').forEach((el) => {
                const style = getComputedStyle(el);
                if (['auto', 'scroll', 'hidden'].includes(style.overflowY) && el.scrollHeight > el.clientHeight + 1
                    && el.tagName !== 'PRE' && el.tagName !== 'TEXTAREA') boxes.push(el.className || el.tagName);
              });
              return boxes;
            }"""
        )
        assert clipped == [], clipped
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        for selector in ("#task .answer-form textarea", "#submit-button"):
            page.locator(selector).scroll_into_view_if_needed()
            expect(page.locator(selector)).to_be_in_viewport()
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        rgb = [int(x) for x in background[background.index("(") + 1 : background.index(")")].split(",")[:3]]
        assert sum(rgb) < 3 * 60, background  # dark
        screenshot(page, "workspace-phone-dark.png")
        page.keyboard.press("a")
        page.keyboard.press("1")
        page.locator("#submit-button").click()  # by touch/mouse alone
        expect(page.locator("#task")).to_contain_text("Nothing left")
        assert errors == [], errors
    finally:
        context.close()
