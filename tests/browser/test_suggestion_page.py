"""Suggestions in the workspace: a shown one is marked as a model's, "g" accepts it and the judgment says
so; a blind assignment's page carries nothing of it; prefill mode starts the form from it."""

from __future__ import annotations

from browser_support import seed_people_and_projects
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from conftest import Server, login
from quorum.db.types import utcnow
from quorum.models import Item, Judgment, Project, Suggestion


def _suggest(server: Server, pid: int, share: float, mode: str = "hint") -> None:
    with server.database.session() as db:
        db.execute(
            update(Project).where(Project.id == pid).values(suggestion_share=share, suggestion_mode=mode)
        )
        for item_id in db.scalars(select(Item.id).where(Item.project_id == pid)):
            db.add(
                Suggestion(
                    project_id=pid, item_id=item_id, source="model", model_name="secret-model-name",
                    template_version="suggest-v1", params={}, status="valid", answer={"labels": ["neu"]},
                    created_at=utcnow(),
                )
            )  # fmt: skip


def test_accept_with_g_and_blind_shows_nothing(page: Page, server: Server) -> None:
    ids = seed_people_and_projects(server.database, items=3)
    pid = ids["classification"]
    _suggest(server, pid, 1e-9)
    login(page, server, "ann")
    # Blind: this lease drew the blind arm; nothing of the suggestion reaches the page.
    page.goto(f"{server.url}/projects/{pid}/work")
    expect(page.locator("#task[data-assignment]")).to_be_visible()
    assert page.locator("[data-suggestion]").count() == 0
    assert "Model suggestion" not in page.content() and "secret-model-name" not in page.content()
    with server.database.session() as db:
        db.execute(update(Project).where(Project.id == pid).values(suggestion_share=1.0))
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    # The next lease shows it, marked as a model's, never with the model's name or a probe status.
    box = page.locator("#task [data-suggestion]")
    expect(box).to_contain_text("Model suggestion")
    expect(box).to_contain_text("neu")
    assert "secret-model-name" not in page.content() and "probe" not in page.content()
    page.keyboard.press("g")
    expect(page.locator("#done-count")).to_have_text("Done this session: 2")
    # Prefill: the form starts from the suggestion; changing it with the normal keys is not accepting.
    with server.database.session() as db:
        db.execute(update(Project).where(Project.id == pid).values(suggestion_mode="prefill"))
    page.reload()
    expect(page.locator("#task [data-value=neu]")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("?")
    expect(page.locator("#help-dialog")).to_contain_text("accept the model's suggestion")
    page.keyboard.press("Escape")
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    expect(page.locator("#task")).to_contain_text("Nothing left")
    with server.database.session() as db:
        kept = [a for (a,) in db.execute(select(Judgment.assistance).order_by(Judgment.id))]
        answers = [a for (a,) in db.execute(select(Judgment.answer).order_by(Judgment.id))]
    assert answers == [{"labels": ["pos"]}, {"labels": ["neu"]}, {"labels": ["pos"]}]
    assert kept[0] == {"suggestion": "blind", "probe": False}
    assert kept[1]["accepted"] is True and kept[2]["accepted"] is False
