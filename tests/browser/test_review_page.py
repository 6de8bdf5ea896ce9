"""A reviewer works the review queue from the keyboard: accepts one, corrects one (after a refused
correction), rejects one with a reason."""

from __future__ import annotations

from browser_support import seed_people_and_projects
from playwright.sync_api import Page, expect
from sqlalchemy import select

from conftest import Server, login, screenshot
from quorum.accounts import service as accounts
from quorum.assignments import service as assignments
from quorum.models import AuditEvent, Review
from quorum.projects import service as projects


def test_reviewer_accepts_corrects_and_rejects(page: Page, server: Server) -> None:
    ids = seed_people_and_projects(server.database, items=3)
    pid = ids["classification"]
    with server.database.session() as db:
        project = projects.find_project(db, pid)
        rita = accounts.create_user(db, "rita", password="correct horse")
        projects.add_member(db, None, project, rita, "reviewer")
        projects.update_project(db, None, project, {"review_rate": 1.0})
        ann = accounts.get_user(db, "ann")
        for label in ("pos", "neg", "neu"):
            task = assignments.claim(db, ann, pid)
            assert task is not None
            assignments.submit(db, ann, task.assignment.id, {"labels": [label]}, 3000)

    login(page, server, "rita")
    page.goto(f"{server.url}/projects/{pid}/review")
    expect(page.locator("#review-waiting")).to_have_text("3 waiting")
    expect(page.locator("#review")).to_contain_text("text number 0")
    # The judgment shows in the task type's own form (its label pressed), not as JSON, and the other
    # annotators' answers to the item sit beside it (none here).
    expect(page.locator("#review-form [data-value=pos]")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#review-form [data-value=neg]")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#review-answer")).to_contain_text("pos")
    expect(page.locator("#review-answer")).not_to_contain_text('"')
    expect(page.locator("#review-others")).to_contain_text("No one else")
    screenshot(page, "review-page.png")
    # Locked: the classification's own key "2" does nothing while the reviewer only reads.
    page.keyboard.press("2")
    expect(page.locator("#review-form [data-value=neg]")).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("a")
    expect(page.locator("#review-saved")).to_be_visible()
    expect(page.locator("#review-waiting")).to_have_text("2 waiting")

    expect(page.locator("#review-form [data-value=neg]")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("c")
    expect(page.locator("#review-form-title")).to_contain_text("Your correction")
    page.keyboard.press("3")  # the form's own key: "neu" instead of "neg"
    expect(page.locator("#review-form [data-value=neu]")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#review-form [data-value=neg]")).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#review-waiting")).to_have_text("1 waiting")

    expect(page.locator("#review-answer")).to_contain_text("neu")
    page.keyboard.press("r")
    expect(page.locator("#review-reason")).to_be_focused()
    page.keyboard.press("Enter")  # no reason: refused, and the page comes back with the focus in the reason
    expect(page.locator("#reject-form .field-error")).to_contain_text("required to reject")
    expect(page.locator("#review-reason")).to_be_focused()
    page.keyboard.type("a label")  # its "a" is text, not an accept
    # Focus lost (a click elsewhere): while the reason is expected, letters still go to it.
    page.locator("#review-answer").click()
    page.keyboard.type(" that does not fit")
    expect(page.locator("#review-reason")).to_have_value("a label that does not fit")
    expect(page.locator("#review-waiting")).to_have_text("1 waiting")
    page.keyboard.press("Enter")
    expect(page.locator("#review-empty")).to_contain_text("Nothing waits")

    with server.database.session() as db:
        done = db.execute(select(Review.verdict, Review.corrected_answer, Review.reason).order_by(Review.id))
        assert [tuple(row) for row in done] == [
            ("accept", None, None),
            ("correct", {"labels": ["neu"]}, None),
            ("reject", None, "a label that does not fit"),
        ]

    # An annotator has no review page.
    page.context.clear_cookies()
    login(page, server, "ann")
    response = page.goto(f"{server.url}/projects/{pid}/review")
    assert response is not None and response.status == 403


def test_reviewer_finds_work_compares_answers_corrects_with_the_mouse_and_undoes(
    page: Page, server: Server
) -> None:
    ids = seed_people_and_projects(server.database)
    pid = ids["pairwise"]
    with server.database.session() as db:
        project = projects.find_project(db, pid)
        projects.update_project(db, None, project, {"review_rate": 1.0, "overlap": 2})
        rita = accounts.create_user(db, "rita", password="correct horse")
        bea = accounts.create_user(db, "bea", password="correct horse")
        projects.add_member(db, None, project, rita, "reviewer")
        projects.add_member(db, None, project, bea, "annotator")
        ann = accounts.get_user(db, "ann")
        for who, answer in (
            (ann, {"choice": "A", "strength": "significantly", "rationale": "A is right"}),
            (bea, {"choice": "B", "strength": "slightly", "rationale": "four"}),
        ):
            task = assignments.claim(db, who, pid)
            assert task is not None
            # Each lease shows the two candidates in its own random order and an answer names them as
            # shown, while the review page shows them as imported: name the intended one as shown.
            if assignments.annotator_view(project, task.item, task.assignment)["display_order"] == [1, 0]:
                answer = {**answer, "choice": {"A": "B", "B": "A"}[answer["choice"]]}
            assignments.submit(db, who, task.assignment.id, answer, 2000)

    login(page, server, "rita")
    # The project list says what waits for review, with a link to it.
    link = page.locator(f"a[href='/projects/{pid}/review']")
    expect(link).to_have_text("2 waiting for review")
    link.click()
    expect(page.locator("#review-waiting")).to_have_text("2 waiting")
    # A reviewer's tabs: only pages a reviewer can use.
    tabs = page.locator("nav.tabs a")
    expect(tabs).to_have_text(["Items", "Review", "Jobs", "Annotate"])

    # ann's answer in the pairwise form, bea's beside it.
    form = page.locator("#review-form")
    expect(form.locator("[data-group=choice] [data-value=A]")).to_have_attribute("aria-pressed", "true")
    expect(form.locator("[data-group=strength] [data-value=significantly]")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(form.locator("[data-field=rationale]")).to_have_value("A is right")
    expect(page.locator("#review-others")).to_contain_text("bea")
    expect(page.locator("#review-others")).to_contain_text("slightly")
    screenshot(page, "review-pairwise.png")

    # Correct with the mouse alone: unlock, choose, save.
    page.click("#correct-start")
    form.locator("[data-group=choice] [data-value=B]").click()
    form.locator("[data-group=strength] [data-value=better]").click()
    page.click("#correct-save")
    expect(page.locator("#review-waiting")).to_have_text("1 waiting")
    expect(page.locator("#undo-bar")).to_be_visible()
    with server.database.session() as db:
        assert [r.corrected_answer for r in db.scalars(select(Review))] == [
            {"choice": "B", "strength": "better", "axes": {}, "rationale": "A is right"}
        ]

    # Undo from the keyboard: the verdict is gone and the judgment waits again.
    page.keyboard.press("u")
    expect(page.locator("#review-undone")).to_be_visible()
    expect(page.locator("#review-waiting")).to_have_text("2 waiting")
    with server.database.session() as db:
        assert list(db.scalars(select(Review))) == []
        assert (
            db.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1))
            == "judgment.review.undo"
        )

    # Annotators see no review tab.
    page.context.clear_cookies()
    login(page, server, "ann")
    page.goto(f"{server.url}/projects/{pid}/jobs")
    expect(page.locator("nav.tabs a")).to_have_text(["Jobs", "Annotate"])
