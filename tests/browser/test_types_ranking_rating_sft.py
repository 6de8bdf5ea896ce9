"""The ranking, rating and sft types end to end: import the demo items, annotate with the keyboard only,
check the stored judgment, export through the API."""

from __future__ import annotations

import json
from typing import Any

import httpx
from browser_support import import_rows
from playwright.sync_api import Page, expect
from sqlalchemy import select

from conftest import Server, login, screenshot
from quorum.accounts import service as accounts
from quorum.models import Item, Judgment
from quorum.projects import service as projects
from quorum.task_types import registry
from quorum.task_types.sft import levenshtein

# Text fields take every key shown on the page as text, shortcut letters included.
RATING_COMMENT = "Confident but unsourced: j, k, c, y, n, s, f, ? and 1 to 7 stay text."
SFT_REPLY = "Start with the chain, then the cassette: e, r, w, s, f and ? stay text."


def _project(server: Server, kind_name: str) -> tuple[int, str]:
    """A project of the type with its demo items, the annotator 'ann', and a manager's API token."""
    kind = registry.get(kind_name)
    with server.database.session() as db:
        boss = accounts.create_user(db, "boss", password="correct horse", is_admin=True)
        ann = accounts.create_user(db, "ann", password="correct horse")
        project = projects.create_project(
            db, boss, name=f"demo-{kind_name}", task_type=kind_name, config=kind.example()["config"]
        )
        projects.add_member(db, boss, project, ann, "annotator")
        _, token = accounts.create_token(db, boss, name="test")
        project_id = project.id
    import_rows(server.database, project_id, kind.demo_items())
    return project_id, token


def _export(server: Server, project_id: int, token: str, fmt: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{server.url}/api/v1/projects/{project_id}/export",
        params={"format": fmt},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def _judgments(server: Server) -> dict[str, dict[str, Any]]:
    """external_id -> stored answer."""
    return {external_id: answer for external_id, (answer, _) in _shown(server).items()}


def _shown(server: Server) -> dict[str, tuple[dict[str, Any], list[int] | None]]:
    """external_id -> (stored answer, the candidate index shown at each position)."""
    with server.database.session() as db:
        rows = db.execute(
            select(Item.external_id, Judgment.answer, Judgment.display_order).join(
                Item, Item.id == Judgment.item_id
            )
        ).all()
    return {external_id: (answer, order) for external_id, answer, order in rows}


def _current_item(page: Page, kind_name: str) -> dict[str, Any]:
    expect(page.locator("#task[data-assignment]")).to_be_visible()
    external_id = page.locator("#task > p.small").first.inner_text().removeprefix("Item ").strip()
    (item,) = [i for i in registry.get(kind_name).demo_items() if i["external_id"] == external_id]
    return item


def _start(page: Page, server: Server, kind_name: str) -> tuple[int, str, dict[str, Any]]:
    project_id, token = _project(server, kind_name)
    login(page, server, "ann")
    page.goto(f"{server.url}/projects/{project_id}/work")
    return project_id, token, _current_item(page, kind_name)


def _done(page: Page, n: int) -> None:
    expect(page.locator("#done-count")).to_have_text(f"Done this session: {n}")


def test_ranking_keyboard_and_exports(page: Page, server: Server) -> None:
    project_id, token, item = _start(page, server, "ranking")
    candidates = item["payload"]["candidates"]
    k = len(candidates)
    expect(page.locator("#task .candidate")).to_have_count(k)
    expect(page.locator("#task")).not_to_contain_text("demo-model")  # no provenance on the page
    order_view = page.locator("[data-order-view]")

    page.keyboard.press("Enter")  # nothing ranked: a message, no submit
    expect(page.locator("#work-error")).to_contain_text("Rank every response")
    page.keyboard.press("1")
    expect(order_view).to_have_text("Response 1")
    page.keyboard.press("Backspace")
    expect(page.locator("[data-order-empty]")).to_be_visible()
    # Response 2 best, flagged unsafe ("x" acts on the last pick); then 1 and 3 tied; then the rest.
    page.keyboard.press("2")
    page.keyboard.press("x")
    page.keyboard.press("1")
    page.keyboard.press("3")
    page.keyboard.press("t")
    for n in range(4, k + 1):
        page.keyboard.press(str(n))
    last = max(2, k - 1)  # index of the last pick
    page.keyboard.press("ArrowLeft")  # the flag cursor moves to the response before it
    page.keyboard.press("c")  # second flag: off-topic
    expect(order_view.locator("li").nth(1)).to_have_text("Response 1 = Response 3 (tie)")
    expect(page.locator(f'[data-group="flags:{last - 1}"] [data-value="off-topic"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    screenshot(page, "annotator-ranking.png")
    page.keyboard.press("Enter")
    _done(page, 1)

    # Keys name screen positions; the stored answer names the candidate shown at each (``at``).
    answer, at = _shown(server)[item["external_id"]]
    assert at is not None and sorted(at) == list(range(k))
    expected_flags: dict[str, list[str]] = {str(at[1]): ["unsafe"]}
    expected_flags.setdefault(str(at[last - 1]), []).append("off-topic")
    expected_order = [[at[1]], sorted([at[0], at[2]]), *[[at[i]] for i in range(3, k)]]
    assert answer == {"order": expected_order, "flags": expected_flags}

    (row,) = [
        r for r in _export(server, project_id, token, "listwise") if r["external_id"] == item["external_id"]
    ]
    assert row["prompt"] == item["payload"]["messages"]
    assert [c["candidate_index"] for c in row["completions"]][:3] == [at[1], *sorted([at[0], at[2]])]
    assert row["completions"][0]["model"] == candidates[at[1]]["model"]
    assert row["completions"][0]["flags"] == expected_flags[str(at[1])]
    assert [row["ranks"][at[i]] for i in range(3)] == [2, 1, 2]
    pairs = [
        r for r in _export(server, project_id, token, "pairs") if r["external_id"] == item["external_id"]
    ]
    assert len(pairs) == k * (k - 1) // 2 - 1  # the tied pair (1, 3) is left out
    assert all(p["margin"] >= 1 for p in pairs)
    best = [p for p in pairs if p["chosen_index"] == at[1]]
    assert len(best) == k - 1
    assert best[0]["chosen"] == [{"role": "assistant", "content": candidates[at[1]]["content"]}]


def test_rating_keyboard_and_export(page: Page, server: Server) -> None:
    project_id, token, item = _start(page, server, "rating")
    expect(page.locator("#task [data-response]")).to_contain_text(
        item["payload"]["response"].split("\n")[0][:20]
    )
    rows = page.locator("#task [data-row]")
    expect(rows.nth(0)).to_have_attribute("aria-current", "true")
    page.keyboard.press("4")  # helpfulness, then on to the next question
    expect(rows.nth(1)).to_have_attribute("aria-current", "true")
    page.keyboard.press("Enter")  # not finished: a message, no submit
    expect(page.locator("#work-error")).to_contain_text("factual")
    page.keyboard.press("y")  # factual
    page.keyboard.press("3")  # clarity
    page.keyboard.press("ArrowUp")  # back to clarity: change it
    expect(rows.nth(2)).to_have_attribute("aria-current", "true")
    page.keyboard.press("5")
    page.keyboard.press("6")  # overall
    page.keyboard.press("1")  # flags: hallucination
    page.keyboard.press("3")  # flags: unsafe
    page.keyboard.press("3")  # ...toggled off again
    page.keyboard.press("c")
    page.keyboard.type(RATING_COMMENT)
    screenshot(page, "annotator-rating.png")
    page.keyboard.press("Control+Enter")
    _done(page, 1)

    assert _judgments(server)[item["external_id"]] == {
        "scores": {"helpfulness": 4, "factual": "yes", "clarity": 5},
        "flags": ["hallucination"],
        "overall": 6,
        "comment": RATING_COMMENT,
    }
    (row,) = _export(server, project_id, token, "rated")
    assert row["external_id"] == item["external_id"]
    assert row["response"] == item["payload"]["response"]
    assert row["scores"] == {"helpfulness": 4, "factual": "yes", "clarity": 5}
    assert row["scores_normalised"]["helpfulness"] == 0.75
    assert row["flags"] == ["hallucination"]
    assert row["overall"] == 6
    assert row["comments"] == [RATING_COMMENT]
    assert row["model"] == item["payload"]["model"]


def test_sft_keyboard_and_export(page: Page, server: Server) -> None:
    project_id, token, first = _start(page, server, "sft")
    reply_box = page.locator("#task [data-field=reply]")
    assert first["payload"].get("draft")
    draft = first["payload"]["draft"]
    expect(reply_box).to_have_value(draft)
    # The box waits for e (or a click): the letters on screen are shortcuts, never typed into the reply.
    expect(reply_box).not_to_be_focused()
    page.keyboard.press("?")
    expect(page.locator("#help-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(reply_box).to_have_value(draft)
    page.keyboard.press("e")
    expect(reply_box).to_be_focused()  # caret at the end
    page.keyboard.type(" junk")
    page.keyboard.press("Escape")  # leave the box, then reset to the draft
    page.keyboard.press("r")
    expect(reply_box).to_have_value(draft)
    page.keyboard.type(" Keep it simple.")
    expect(page.locator("[data-reply-status]")).to_contain_text("edited from the draft")
    screenshot(page, "annotator-sft.png")
    assignment = page.locator("#task").get_attribute("data-assignment") or ""
    page.keyboard.press("Control+Enter")
    _done(page, 1)

    expect(page.locator("#task")).not_to_have_attribute("data-assignment", assignment)
    second = _current_item(page, "sft")
    expect(reply_box).not_to_be_focused()
    if second["payload"].get("draft"):
        page.keyboard.press("w")  # write from scratch
        expect(reply_box).to_have_value("")
    else:
        page.keyboard.press("e")
    page.keyboard.type(SFT_REPLY)
    page.keyboard.press("Control+Enter")
    _done(page, 2)

    stored = _judgments(server)
    assert stored[first["external_id"]] == {
        "reply": draft + " Keep it simple.",
        "from_draft": True,
        "edit_distance": len(" Keep it simple."),
    }
    written = stored[second["external_id"]]
    assert written["reply"] == SFT_REPLY
    assert written["from_draft"] is False
    second_draft = second["payload"].get("draft")
    assert written.get("edit_distance") == (
        None if second_draft is None else levenshtein(second_draft, written["reply"])
    )

    rows = {r["external_id"]: r for r in _export(server, project_id, token, "sft")}
    assert set(rows) == {first["external_id"], second["external_id"]}
    row = rows[first["external_id"]]
    assert row["messages"] == [
        *first["payload"]["messages"],
        {"role": "assistant", "content": draft + " Keep it simple."},
    ]
    assert row["edit_distance"] == len(" Keep it simple.")
    assert row["from_draft"] is True
    assert row["draft_model"] == first["payload"]["draft_model"]
