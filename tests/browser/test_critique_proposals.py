"""A model's critique comments in the workspace: keep one with the keyboard, edit one, delete one with the
mouse; the kept and edited comments become issues of the answer, every fate is stored with the judgment,
and neither the model's name nor the planted flaws reach the page."""

from __future__ import annotations

from browser_support import import_rows
from playwright.sync_api import Page, expect
from sqlalchemy import select

from conftest import Server, login, screenshot
from quorum.accounts import service as accounts
from quorum.models import CritiqueProposal, Item, Judgment
from quorum.projects import service as projects

RESPONSE = "def largest(xs):\n    best = xs[0]\n    for x in xs:\n        if x < best:\n            best = x\n    return best\n"
COMMENTS = [
    ("x < best", "major", "Keeps the smallest value."),
    ("best = xs[0]", "minor", "Fails on an empty list."),
    ("return best", "minor", "A nitpick about naming."),
]


def test_keep_edit_and_delete_the_critics_comments(page: Page, server: Server) -> None:
    with server.database.session() as db:
        boss = accounts.create_user(db, "boss", password="correct horse", is_admin=True)
        ann = accounts.create_user(db, "ann", password="correct horse")
        project = projects.create_project(db, boss, name="crit", task_type="critique", config={})
        project.critique_share = 1.0
        projects.add_member(db, boss, project, ann, "annotator")
        pid = project.id
    row = {
        "external_id": "c1",
        "payload": {"prompt": "largest number", "response": RESPONSE},
        "metadata": {"inserted_flaws": [{"quote": "x < best", "note": "PLANTED-SECRET"}]},
    }
    import_rows(server.database, pid, [row])
    with server.database.session() as db:
        item_id = db.scalar(select(Item.id).where(Item.project_id == pid))
        comments = [
            {
                "quote": q,
                "start": RESPONSE.index(q),
                "end": RESPONSE.index(q) + len(q),
                "severity": s,
                "comment": c,
            }
            for q, s, c in COMMENTS
        ]
        db.add(
            CritiqueProposal(
                project_id=pid, item_id=item_id, position=0, model_name="critic-secret-name",
                remote_model="critic-secret-name", template_version="critic-v1", params={}, comments=comments,
                dropped=[],
            )
        )  # fmt: skip

    login(page, server, "ann")
    page.goto(f"{server.url}/projects/{pid}/work")
    proposals = page.locator("[data-critique] .critique-list > li")
    expect(proposals).to_have_count(3)
    expect(proposals.nth(0)).to_be_visible()
    expect(proposals.nth(1)).to_be_hidden()
    html = page.content()
    assert "critic-secret-name" not in html and "PLANTED-SECRET" not in html and "inserted_flaws" not in html

    page.keyboard.press("Shift+K")  # keep the first
    expect(proposals.nth(1)).to_be_visible()
    expect(page.locator(".issue-list > li")).to_have_count(1)
    proposals.nth(1).locator("[data-critique-action=edit]").click()
    edit = proposals.nth(1).locator("[data-critique-edit]")
    expect(edit).to_be_focused()
    edit.fill("Crashes on an empty list: K, E, D and s stay text.")
    page.keyboard.press("Enter")  # saves the edit, does not submit
    expect(proposals.nth(2)).to_be_visible()
    expect(page.locator(".issue-list > li")).to_have_count(2)
    proposals.nth(2).locator("[data-critique-action=delete]").click()
    expect(page.locator("[data-critique-done]")).to_be_visible()
    expect(page.locator(".issue-list > li")).to_have_count(2)
    screenshot(page, "annotator-critique-proposals.png")
    page.keyboard.press("Enter")
    expect(page.locator("#done-count")).to_have_text("Done this session: 1")

    with server.database.session() as db:
        judgment = db.scalar(select(Judgment).where(Judgment.project_id == pid))
        assert judgment is not None
        answer, assistance = judgment.answer, judgment.assistance
    assert [i["quote"] for i in answer["issues"]] == ["x < best", "best = xs[0]"]
    assert answer["issues"][1]["comment"] == "Crashes on an empty list: K, E, D and s stay text."
    assert assistance is not None and assistance["critique"] == "shown"
    fates = [(f["index"], f["fate"]) for f in assistance["critique_fates"]]
    assert fates == [(0, "kept"), (1, "edited"), (2, "deleted")]
    assert (
        assistance["critique_fates"][1]["edited_comment"]
        == "Crashes on an empty list: K, E, D and s stay text."
    )
