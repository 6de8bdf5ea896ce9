"""The steps and critique types end to end: import the demo items, annotate one with the keyboard, export."""

from __future__ import annotations

import json
from typing import Any

import httpx
from browser_support import import_rows
from playwright.sync_api import Page, expect
from sqlalchemy import select

from conftest import Server, login, screenshot
from quorum.accounts import service as accounts
from quorum.models import Judgment
from quorum.task_types import registry

# Text fields take every key shown on the page as text, shortcut letters included.
CRITIQUE_COMMENT = "This is the bug: v, i, t, c, s, f, ? and 0 to 3 stay text here."
STEP_NOTE = "the final answer does not follow: j, k, n, x, y, s, f, ? and 1 2 3 stay text"

# A leading newline, CR LF and characters outside the BMP: offsets stay Python string indexes.
ODD = "\n😀 héllo\r\nx = 1 / 0  # 🐍 bad\n"

# The span each demo response's bug sits in (the annotator selects it).
BUGS = {
    "critique-1": "xs[i] < best",
    "critique-2": "eval(f.read())",
    "critique-3": "- 1",
    "critique-4": "s.lower()",
    "critique-5": "items=[]",
}


def _setup(server: Server) -> tuple[dict[str, int], str]:
    """A project of each type with its demo items, the annotator 'ann', and a manager's API token."""
    from quorum.projects import service as projects

    ids = {}
    with server.database.session() as db:
        boss = accounts.create_user(db, "boss", password="correct horse", is_admin=True)
        ann = accounts.create_user(db, "ann", password="correct horse")
        for name in ("steps", "critique"):
            project = projects.create_project(
                db, boss, name=f"demo-{name}", task_type=name, config=registry.get(name).example()["config"]
            )
            projects.add_member(db, boss, project, ann, "annotator")
            ids[name] = project.id
        odd = projects.create_project(db, boss, name="odd-text", task_type="critique", config={})
        projects.add_member(db, boss, odd, ann, "annotator")
        ids["odd"] = odd.id
        _, token = accounts.create_token(db, boss, name="test")
    for name in ("steps", "critique"):
        import_rows(server.database, ids[name], registry.get(name).demo_items())
    import_rows(
        server.database, ids["odd"], [{"external_id": "odd", "payload": {"prompt": "p", "response": ODD}}]
    )
    return ids, token


def _export(server: Server, project_id: int, token: str, fmt: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{server.url}/api/v1/projects/{project_id}/export",
        params={"format": fmt},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def _answers(server: Server, project_id: int) -> list[dict[str, Any]]:
    with server.database.session() as db:
        return list(db.scalars(select(Judgment.answer).where(Judgment.project_id == project_id)))


def _current_item(page: Page, kind_name: str) -> dict[str, Any]:
    expect(page.locator("#task[data-assignment]")).to_be_visible()
    text = page.locator("#task > p.small").first.inner_text()
    external_id = text.removeprefix("Item ").strip()
    (item,) = [i for i in registry.get(kind_name).demo_items() if i["external_id"] == external_id]
    return item


def test_steps_and_critique_with_the_keyboard(page: Page, server: Server) -> None:
    """One server for both types (starting one costs seconds)."""
    ids, token = _setup(server)
    login(page, server, "ann")
    _steps(page, server, ids["steps"], token)
    _critique(page, server, ids["critique"], token)
    _odd_text(page, server, ids["odd"])


def _steps(page: Page, server: Server, project_id: int, token: str) -> None:
    page.goto(f"{server.url}/projects/{project_id}/work")
    item = _current_item(page, "steps")
    steps = item["payload"]["steps"]
    n = len(steps)
    step = page.locator(".steps-list > .step")
    expect(step).to_have_count(n)
    expect(step.nth(0)).to_have_attribute("aria-current", "step")
    expect(page.locator("#task math").first).to_be_attached()  # $…$ rendered as MathML
    expect(page.locator("#task")).not_to_contain_text(item["payload"]["solution_model"])

    page.keyboard.press("Enter")  # nothing labelled yet: a message naming the step, no submit
    expect(page.locator("#work-error")).to_contain_text("Step 1 has no label")
    page.keyboard.press("j")
    expect(step.nth(1)).to_have_attribute("aria-current", "step")
    page.keyboard.press("ArrowUp")
    expect(step.nth(0)).to_have_attribute("aria-current", "step")
    for _ in range(n - 1):
        page.keyboard.press("1")  # +1 and move on
    page.keyboard.press("3")  # the last step is bad
    expect(step.nth(n - 1).locator('[data-value="-1"]')).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("k")
    expect(step.nth(n - 2)).to_have_attribute("aria-current", "step")
    page.keyboard.press("2")  # neutral replaces +1 on the step before
    expect(step.nth(n - 2).locator('[data-value="0"]')).to_have_attribute("aria-pressed", "true")
    expect(step.nth(n - 2).locator('[data-value="1"]')).to_have_attribute("aria-pressed", "false")
    expect(step.nth(n - 1)).to_have_attribute("aria-current", "step")
    expect(page.locator("input[data-note='0']")).to_be_hidden()  # notes show when opened
    page.keyboard.press("n")
    expect(page.locator(f"input[data-note='{n - 1}']")).to_be_focused()
    page.keyboard.type(STEP_NOTE)
    page.keyboard.press("Enter")  # keeps the note, does not submit
    expect(page.locator(f"input[data-note='{n - 1}']")).not_to_be_focused()
    expect(page.locator(f"input[data-note='{n - 1}']")).to_be_visible()
    expect(page.locator("#steps-status")).to_contain_text(f"first error: step {n}")
    page.keyboard.press("x")  # the final answer is wrong
    screenshot(page, "annotator-steps.png")
    page.keyboard.press("Enter")
    expect(page.locator("#done-count")).to_have_text("Done this session: 1")

    assert _answers(server, project_id) == [
        {
            "labels": [1] * (n - 2) + [0, -1],
            "notes": {str(n - 1): STEP_NOTE},
            "final_answer_correct": False,
        }
    ]
    (row,) = _export(server, project_id, token, "prm")
    assert row["external_id"] == item["external_id"]
    assert row["steps"] == steps and row["problem"] == item["payload"]["problem"]
    assert row["labels"] == [1] * (n - 2) + [0, -1]
    assert row["first_error"] == n - 1
    assert row["reference_answer"] == item["payload"]["reference_answer"]
    assert row["solution_model"] == item["payload"]["solution_model"]
    assert row["n_judgments"] == 1


def _critique(page: Page, server: Server, project_id: int, token: str) -> None:
    page.goto(f"{server.url}/projects/{project_id}/work")
    item = _current_item(page, "critique")
    response = item["payload"]["response"]
    quote = BUGS[item["external_id"]]
    start = response.index(quote)
    pre = page.locator("pre[data-response]")
    assert pre.evaluate("el => el.textContent") == response  # the raw text, exactly

    page.keyboard.press("Enter")
    expect(page.locator("#work-error")).to_contain_text("Add an issue")
    page.keyboard.press("i")  # no selection yet
    expect(page.locator("[data-field=hint]")).to_contain_text("Select a span")

    # Keyboard selection: v moves into the response, arrows move, Shift+arrows select.
    page.keyboard.press("v")
    expect(pre).to_be_focused()
    line = response.count("\n", 0, start)
    column = start - (response.rfind("\n", 0, start) + 1)
    for _ in range(line):
        page.keyboard.press("ArrowDown")
    for _ in range(column):
        page.keyboard.press("ArrowRight")
    for _ in range(len(quote)):
        page.keyboard.press("Shift+ArrowRight")
    expect(page.locator("[data-field=cursor]")).to_contain_text(f"{len(quote)} characters selected")
    assert page.evaluate("window.getSelection().toString()") == quote
    page.keyboard.press("i")
    editor = page.locator(".issue-editor")
    expect(editor).to_be_visible()
    expect(page.locator("[data-field=quote]")).to_have_text(quote)
    page.keyboard.press("Enter")  # no severity yet
    expect(page.locator("[data-field=editor-error]")).to_contain_text("severity")
    page.keyboard.press("3")
    expect(editor.locator('[data-value="critical"]')).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("t")  # category: the first in the project's list
    page.keyboard.press("c")
    expect(page.locator("[data-field=comment]")).to_be_focused()
    page.keyboard.type(CRITIQUE_COMMENT)  # the editor's own keys, typed as text
    page.keyboard.press("Enter")  # saves the issue, does not submit
    expect(editor).to_be_hidden()
    expect(page.locator(".issue-list > li")).to_have_count(1)
    expect(pre.locator("mark")).to_have_text(quote)
    assert pre.evaluate("el => el.textContent") == response

    # A second issue, started and cancelled; then "no issues" conflicts with the listed one.
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("i")
    expect(editor).to_be_visible()
    page.keyboard.press("Escape")
    expect(editor).to_be_hidden()
    page.keyboard.press("0")
    page.keyboard.press("Enter")
    expect(page.locator("#work-error")).to_contain_text("no issues")
    page.keyboard.press("0")
    screenshot(page, "annotator-critique.png")
    page.keyboard.press("Enter")
    expect(page.locator("#done-count")).to_have_text("Done this session: 1")

    category = registry.get("critique").example()["config"]["categories"][0]
    expected = {
        "quote": quote,
        "start": start,
        "end": start + len(quote),
        "severity": "critical",
        "category": category,
        "comment": CRITIQUE_COMMENT,
    }
    assert _answers(server, project_id) == [{"no_issues": False, "issues": [expected]}]
    (row,) = _export(server, project_id, token, "critiques")
    assert row["external_id"] == item["external_id"]
    assert row["response"] == response and row["prompt"] == item["payload"]["prompt"]
    assert row["no_issues"] is False
    (issue,) = row["issues"]
    assert {k: issue[k] for k in expected} == expected
    assert issue["support"] == 1.0
    assert row["response"][issue["start"] : issue["end"]] == issue["quote"]


def _odd_text(page: Page, server: Server, project_id: int) -> None:
    page.goto(f"{server.url}/projects/{project_id}/work")
    stored = ODD.replace("\r\n", "\n")
    pre = page.locator("pre[data-response]")
    assert pre.evaluate("el => el.textContent") == stored
    # A selection made with the mouse (here: a DOM range), then the keyboard.
    pre.evaluate(
        """pre => { const t = pre.firstChild, i = t.data.indexOf('1 / 0'), r = document.createRange();
        r.setStart(t, i); r.setEnd(t, i + 5); getSelection().removeAllRanges(); getSelection().addRange(r); }"""
    )
    page.keyboard.press("i")
    page.keyboard.press("2")
    page.keyboard.press("c")
    page.keyboard.type("division by zero")
    page.keyboard.press("Enter")
    page.keyboard.press("v")
    for key in ("ArrowDown", "ArrowDown", "End"):
        page.keyboard.press(key)
    for _ in range(5):  # five characters, six UTF-16 units
        page.keyboard.press("Shift+ArrowLeft")
    assert page.evaluate("getSelection().toString()") == "🐍 bad"
    for key in ("i", "1", "c"):
        page.keyboard.press(key)
    page.keyboard.type("emoji")
    page.keyboard.press("Enter")
    expect(page.locator(".issue-list > li")).to_have_count(2)
    page.locator(".issue-list > li button").first.focus()
    page.keyboard.press("Enter")  # deletes that issue; does not submit
    expect(page.locator(".issue-list > li")).to_have_count(1)
    assert pre.evaluate("el => el.textContent") == stored
    page.locator("pre[data-response]").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#done-count")).to_have_text("Done this session: 1")
    (answer,) = _answers(server, project_id)
    (issue,) = answer["issues"]
    assert (issue["start"], issue["end"], issue["quote"]) == (22, 27, "🐍 bad")
    assert stored[issue["start"] : issue["end"]] == issue["quote"]
