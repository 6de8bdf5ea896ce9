"""Every task type in the workspace: the `?` help lists the type's own keys, a text field takes every
shortcut letter as text (the stored answer holds it exactly), and each type's new mouse and keyboard ways
work: ranking by drag and drop and moving a ranked response, the critique's "add issue" button after a
mouse selection, pairwise per-aspect keys. No console errors on any of the pages."""

from __future__ import annotations

from typing import Any

from browser_support import console_errors, import_rows
from playwright.sync_api import Page, expect
from sqlalchemy import select

from conftest import Server, login, screenshot
from quorum.accounts import service as accounts
from quorum.assignments import service as assignments
from quorum.models import Judgment, JudgmentVersion
from quorum.projects import service as projects
from quorum.task_types import registry

# Every letter, digit and sign any task type uses as a shortcut.
TEXT = "Keys stay text: a b c d e f i j k n q r s t u v w x y 0 1 2 3 4 5 6 7 8 9 [ ] ? done"


def _projects(server: Server) -> dict[str, int]:
    ids: dict[str, int] = {}
    with server.database.session() as db:
        boss = accounts.create_user(db, "boss", password="correct horse", is_admin=True)
        ann = accounts.create_user(db, "ann", password="correct horse")
        for kind in registry.all_types():
            config = kind.example()["config"]
            if kind.name == "classification":
                config = {**config, "allow_other": True}
            project = projects.create_project(
                db, boss, name=f"t-{kind.name}", task_type=kind.name, config=config
            )
            projects.add_member(db, boss, project, ann, "annotator")
            ids[kind.name] = project.id
    for name, project_id in ids.items():
        item = registry.get(name).example()["item"]
        import_rows(server.database, project_id, [{"external_id": f"{name}-1", "payload": item["payload"]}])
    return ids


def _stored(server: Server, project_id: int) -> tuple[dict[str, Any], list[int] | None]:
    with server.database.session() as db:
        (row,) = db.execute(
            select(Judgment.answer, Judgment.display_order).where(Judgment.project_id == project_id)
        ).all()
    return row[0], row[1]


def _type_into(page: Page, selector: str, *, leave: bool = True) -> None:
    page.locator(selector).first.focus()
    page.keyboard.type(TEXT)
    expect(page.locator(selector).first).to_have_value(TEXT)
    if leave:
        page.keyboard.press("Escape")  # leaves the field
        expect(page.locator(selector).first).not_to_be_focused()


def _fill(page: Page, name: str) -> None:
    """Answer the example item, each type by its own means, with TEXT in its text field."""
    task = page.locator("#task")
    if name == "classification":
        _type_into(page, "#task [data-field=other]")
    elif name == "pairwise":
        page.keyboard.press("a")
        page.keyboard.press("2")
        page.keyboard.press("q")  # helpfulness: A, then harmlessness is marked
        expect(page.locator("#task [data-axis='1']")).to_have_class("axis axis-current")
        page.keyboard.press("e")  # harmlessness: B
        _type_into(page, "#task [data-field=rationale]")
    elif name == "prompt_review":
        task.locator("[data-value=reject]").click()  # the mouse
        _type_into(page, "#task [data-field=reason]")
    elif name == "sft":
        drafted = task.locator("[data-sft]").get_attribute("data-has-draft") == "true"
        page.keyboard.press("w" if drafted else "e")  # clears the model's draft; either way the box has focus
        page.keyboard.type(TEXT)
        expect(task.locator("[data-field=reply]")).to_have_value(TEXT)
        page.keyboard.press("Escape")
    elif name == "rating":
        for group in task.locator(".rating-row [data-group]").all():
            group.locator("button").first.click()
        _type_into(page, "#task [data-field=comment]")
    elif name == "steps":
        for group in task.locator(".step [data-group]").all():
            group.locator("[data-value='1']").click()
        task.locator("[data-group=final] [data-value=true], [data-value=true][data-key=y]").first.click()
        page.keyboard.press("k")  # back on a step, whose note takes the text
        page.keyboard.press("n")
        page.keyboard.type(TEXT)
        page.keyboard.press("Enter")
    elif name == "ranking":
        k = task.locator("[data-pick]").count()
        for i in range(k):
            task.locator(f"[data-pick='{i}']").click()
        rows = task.locator("[data-order-view] li")
        expect(rows).to_have_count(k)
        expect(rows.first).to_contain_text("Response 1")
        rows.nth(k - 1).drag_to(rows.first)  # the last one dragged to the top
        expect(rows.first).to_contain_text(f"Response {k}")
        rows.nth(1).locator("[data-move=up]").click()  # and response 1 back above it, by its button
        expect(rows.first).to_contain_text("Response 1")
        page.keyboard.press("ArrowLeft")  # the cursor, on the last pick, to the response before it
        page.keyboard.press("BracketLeft")  # which moves up one place
    elif name == "critique":
        # A double click on the response's first word selects it, as a person would with the mouse.
        word = page.evaluate(
            """() => {
              const pre = document.querySelector('#task pre[data-response]');
              const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
              const node = walker.nextNode();
              const range = document.createRange();
              range.setStart(node, 0);
              range.setEnd(node, 2);
              const r = range.getBoundingClientRect();
              return {x: r.left + r.width / 2, y: r.top + r.height / 2};
            }"""
        )
        page.mouse.dblclick(word["x"], word["y"])
        task.locator("[data-issue-action=add]").click()
        expect(task.locator(".issue-editor")).to_be_visible()
        task.locator(".issue-editor [data-value=major]").click()
        _type_into(page, "#task [data-field=comment]", leave=False)  # Esc would cancel the issue
        task.locator("[data-issue-action=save]").click()
        expect(task.locator(".issue-list li")).to_have_count(1)


def _check(name: str, answer: dict[str, Any], order: list[int] | None, ranking_k: int) -> None:
    kind = registry.get(name)
    shown = answer if order is None else kind.to_displayed(answer, order)
    if name == "classification":
        assert shown == {"labels": [], "other": TEXT}
    elif name == "pairwise":
        assert shown["choice"] == "A" and shown["strength"] == "slightly"
        assert shown["axes"] == {"helpfulness": "A", "harmlessness": "B"} and shown["rationale"] == TEXT
    elif name == "prompt_review":
        assert shown == {"decision": "reject", "reason": TEXT}
    elif name == "sft":
        assert shown["reply"] == TEXT and shown["from_draft"] is False
    elif name == "rating":
        assert shown["comment"] == TEXT
    elif name == "steps":
        assert TEXT in shown["notes"].values()
    elif name == "ranking":
        # Picked in order, the last dragged to the top, response 1 moved back above it by its button, then
        # "[" moved response k-1 (the cursor, one left of the last pick) up one place.
        expected = list(range(ranking_k))
        expected.insert(0, expected.pop())
        expected.insert(0, expected.pop(1))
        at = expected.index(ranking_k - 2)
        if at > 0:
            expected[at - 1], expected[at] = expected[at], expected[at - 1]
        assert shown["order"] == [[i] for i in expected], (shown, expected)
    elif name == "critique":
        (issue,) = shown["issues"]
        assert issue["comment"] == TEXT and issue["severity"] == "major" and issue["quote"]


# Keys each widget declares, one of which the help must list for its type.
OWN_KEY = {
    "classification": "“other” box",
    "pairwise": "on the marked aspect",
    "prompt_review": "approve, edit, reject",
    "sft": "reset the reply",
    "rating": "move between criteria",
    "steps": "label the step",
    "ranking": "move the chosen response",
    "critique": "Add an issue",
}


def test_every_task_type_by_its_keys_and_mouse(page: Page, server: Server) -> None:
    ids = _projects(server)
    errors = console_errors(page)
    login(page, server, "ann")
    for name, project_id in ids.items():
        page.goto(f"{server.url}/projects/{project_id}/work")
        expect(page.locator("#task[data-assignment]")).to_be_visible()
        page.keyboard.press("?")
        expect(page.locator("#help-dialog")).to_be_visible()
        expect(page.locator("#type-keys")).to_contain_text(OWN_KEY[name])
        page.keyboard.press("Escape")
        expect(page.locator("#help-dialog")).to_be_hidden()
        ranking_k = page.locator("#task [data-pick]").count()
        _fill(page, name)
        screenshot(page, f"workspace-{name}.png")
        page.keyboard.press("Control+Enter")
        expect(page.locator("#task")).to_contain_text("Nothing left", timeout=10_000)
        answer, order = _stored(server, project_id)
        _check(name, answer, order, ranking_k)
    assert errors == [], errors


def _answered(server: Server, ids: dict[str, int]) -> dict[str, int]:
    """Each type's example answer submitted through the service (no page, so no draft): type -> judgment."""
    judged: dict[str, int] = {}
    with server.database.session() as db:
        ann = accounts.get_user(db, "ann")
        for name, project_id in ids.items():
            kind = registry.get(name)
            claimed = assignments.claim(db, ann, project_id)
            assert claimed is not None, name
            order = assignments.display_order(kind, claimed.item, claimed.assignment)
            answer = kind.example()["answer"]
            shown = answer if order is None else kind.to_displayed(answer, order)
            judged[name] = assignments.submit(db, ann, claimed.assignment.id, shown, 1000).judgment.id
    return judged


# One change per type on the edit page, by mouse or by keys.
def _change(page: Page, name: str) -> None:
    task = page.locator("#task")
    if name == "classification":
        page.keyboard.press("2")
    elif name == "pairwise":
        task.locator("[data-group=choice] [aria-pressed=false]").first.click()
    elif name == "prompt_review":
        task.locator("[data-group=decision] [data-value=reject]").click()
        _type_into(page, "#task [data-field=reason]")
    elif name == "sft":
        page.keyboard.press("w")  # clears the reply, into the box
        page.keyboard.type(TEXT)
        expect(task.locator("[data-field=reply]")).to_have_value(TEXT)  # Ctrl+Enter saves from the box
    elif name == "rating":
        task.locator("[data-group=overall] [data-value='3']").click()
    elif name == "steps":
        task.locator(".step").nth(1).locator("[data-note-open]").click()  # a note by the mouse
        page.keyboard.type(TEXT)
        task.locator("[data-group=final] [data-value=true]").click()
    elif name == "ranking":
        task.locator("[data-order-view] li").nth(1).locator("[data-move=up]").click()
    elif name == "critique":
        task.locator(".issue-list [data-issue-action=delete]").click()
        page.keyboard.press("0")


def test_the_edit_page_shows_every_types_submitted_answer_in_its_form(page: Page, server: Server) -> None:
    """No draft exists: the type's filler (the review page's) puts the answer in the form, so the form
    collects exactly the stored answer; a change by mouse or keys saves as version 2, the first kept."""
    ids = _projects(server)
    with server.database.session() as db:
        critique = projects.find_project(db, ids["critique"])
        projects.update_project(db, None, critique, {"review_rate": 1.0})
    judged = _answered(server, ids)
    errors = console_errors(page)
    # The critique's filler on the review page: the issue listed, its span marked in the response.
    login(page, server, "boss")
    page.goto(f"{server.url}/projects/{ids['critique']}/review")
    issue = registry.get("critique").example()["answer"]["issues"][0]
    expect(page.locator("#review-form .issue-list li")).to_have_count(1)
    expect(page.locator("#review-form .issue-list li")).to_contain_text(issue["comment"])
    expect(page.locator("#task pre[data-response] mark")).to_have_text(issue["quote"])
    page.context.clear_cookies()
    login(page, server, "ann")
    collect = "(type) => Quorum.widgets[type].collect(document.getElementById('task'))"
    for name, project_id in ids.items():
        kind = registry.get(name)
        page.goto(f"{server.url}/projects/{project_id}/work/judgments/{judged[name]}")
        expect(page.locator("#task[data-judgment]")).to_be_visible()
        with server.database.session() as db:
            judgment = db.get(Judgment, judged[name])
            assert judgment is not None
            first, order = judgment.answer, judgment.display_order
        shown = first if order is None else kind.to_displayed(first, order)
        if name == "critique":
            expect(page.locator("#task pre[data-response] mark")).to_have_text(issue["quote"])
        filled = page.evaluate(collect, name)
        assert _normal(name, filled, order) == _normal(name, shown, order), name
        _change(page, name)
        changed = page.evaluate(collect, name)
        if name == "steps":
            assert changed["notes"] == {**shown.get("notes", {}), "1": TEXT}, changed
        assert _normal(name, changed, order) != _normal(name, shown, order), name
        page.keyboard.press("Control+Enter")
        expect(page.locator("#edit-saved")).to_contain_text("version 2")
        with server.database.session() as db:
            judgment = db.get(Judgment, judged[name])
            assert judgment is not None
            stored = kind.to_displayed(judgment.answer, order) if order is not None else judgment.answer
            (version,) = db.scalars(
                select(JudgmentVersion).where(JudgmentVersion.judgment_id == judged[name])
            ).all()
        assert version.answer == first, name
        assert _normal(name, stored, order) == _normal(name, changed, order), name
    assert errors == [], errors


def _normal(name: str, answer: dict[str, Any], order: list[int] | None) -> dict[str, Any]:
    """An answer as the server keeps it (defaults filled, empty optionals dropped), for comparing."""
    kind = registry.get(name)
    config = kind.parse_config(
        kind.example()["config"] | ({"allow_other": True} if name == "classification" else {})
    )
    payload = kind.example()["item"]["payload"]
    shown = payload if order is None else kind.arrange(payload, order)
    parsed = kind.parse_answer(answer, kind.parse_payload(shown, config), config)
    normal: dict[str, Any] = parsed.model_dump(mode="json", exclude_none=True)
    normal.pop("edit_distance", None)  # the server's own count, not the form's
    return normal
