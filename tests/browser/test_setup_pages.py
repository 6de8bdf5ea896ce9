"""Project set-up in the browser: the config form generated from the type's schema with a live preview,
safe and refused config changes once judgments exist, and guideline versions with their diffs."""

from __future__ import annotations

import httpx
from browser_support import seed_people_and_projects
from playwright.sync_api import ConsoleMessage, Page, expect

from conftest import Server, login, screenshot
from quorum.accounts import service as accounts
from quorum.projects import service as projects


def _errors(page: Page) -> list[str]:
    seen: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.append(message.text)

    page.on("console", keep)
    return seen


def test_new_project_from_schema_form_with_live_preview(page: Page, server: Server) -> None:
    seed_people_and_projects(server.database)
    errors = _errors(page)
    login(page, server, "boss")
    page.goto(f"{server.url}/projects/new")
    page.select_option("#task-type", "classification")
    fields = page.locator('.config-fields[data-type="classification"]')
    expect(fields).to_be_visible()
    expect(page.locator('.config-fields[data-type="rating"]')).to_be_hidden()
    # The example config's labels show in the generated field and in the preview.
    expect(page.locator("#config-preview .choice")).to_have_count(3)

    fields.locator('[data-cfg="labels"]').fill("toxic\nfine\nspam")
    expect(page.locator("#config-preview .choice")).to_have_count(3)
    expect(page.locator("#config-preview")).to_contain_text("spam")
    fields.locator('[data-cfg="multi"]').check()
    expect(page.locator("#config-preview h3")).to_have_text("Choose every label that applies")

    # One label is not a valid config: the preview says why instead of rendering.
    fields.locator('[data-cfg="labels"]').fill("toxic")
    expect(page.locator("#preview-error")).to_contain_text("labels")
    fields.locator('[data-cfg="labels"]').fill("toxic\nfine\nspam")
    expect(page.locator("#config-preview .choice")).to_have_count(3)

    # Another type's fields come from its own schema (rating's nested criteria as JSON).
    page.select_option("#task-type", "rating")
    expect(page.locator('.config-fields[data-type="rating"] [data-cfg="criteria"]')).to_be_visible()
    expect(page.locator("#config-preview .preview-task")).to_have_attribute("data-task-type", "rating")
    page.select_option("#task-type", "classification")
    expect(page.locator("#config-preview")).to_contain_text("spam")
    screenshot(page, "project-setup-preview.png")

    page.fill("input[name=name]", "Moderation")
    page.click("#new-project button[type=submit]")
    expect(page.locator(".workbar h1")).to_have_text("Moderation")
    with server.database.session() as db:
        project = projects.find_project(db, "Moderation")
        assert project.config["labels"] == ["toxic", "fine", "spam"]
        assert project.config["multi"] is True
    assert errors == [], errors


def test_config_change_after_judgments_and_guideline_diffs(page: Page, server: Server) -> None:
    ids = seed_people_and_projects(server.database)
    pid = ids["classification"]
    with server.database.session() as db:
        _, token = accounts.create_token(db, accounts.get_user(db, "ann"))
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as http:
        task = http.post(f"/api/v1/projects/{pid}/next").json()["assignment"]
        answer = {"answer": {"labels": ["pos"]}, "time_spent_ms": 3000}
        assert http.post(f"/api/v1/assignments/{task['id']}/submit", json=answer).status_code == 201
    errors = _errors(page)
    login(page, server, "boss")
    page.goto(f"{server.url}/projects/{pid}/settings")
    labels = page.locator('#project-config [data-cfg="labels"]')
    expect(labels).to_have_value("pos\nneg\nneu")

    # Adding a label is safe: saved, and the preview shows it.
    labels.fill("pos\nneg\nneu\nmixed")
    expect(page.locator("#config-preview")).to_contain_text("mixed")
    page.click("#save-config")
    expect(page.locator("#config-saved")).to_be_visible()
    expect(labels).to_have_value("pos\nneg\nneu\nmixed")

    # Renaming "pos", which a judgment used, is refused with the reason; what was typed stays.
    labels.fill("positive\nneg\nneu\nmixed")
    page.click("#save-config")
    expect(page.locator("#error-config")).to_contain_text("1 existing judgment(s) invalid")
    expect(page.locator("#error-config")).to_contain_text("pos")
    expect(labels).to_have_value("positive\nneg\nneu\nmixed")
    with server.database.session() as db:
        assert projects.find_project(db, pid).config["labels"] == ["pos", "neg", "neu", "mixed"]

    # Guidelines: the same text again is not a new version; a change is, and its diff is shown.
    page.goto(f"{server.url}/projects/{pid}/settings")
    body = page.locator("#guidelines textarea[name=body]")
    page.click("#guidelines button[type=submit]")
    expect(page.locator("#guidelines-unchanged")).to_be_visible()
    expect(page.locator(".guideline-version")).to_have_count(1)
    body.fill("Pick the **feeling**.\nSarcasm <b>counts</b> as neg.")
    page.click("#guidelines button[type=submit]")
    expect(page.locator(".guideline-version")).to_have_count(2)
    newest = page.locator('.guideline-version[data-version="2"]')
    newest.locator("summary").click()
    expect(newest.locator(".diff-add")).to_have_text("+ Sarcasm <b>counts</b> as neg.")
    expect(newest.locator(".diff-add b")).to_have_count(0)
    expect(newest.locator(".diff-count")).to_contain_text("+1 −0 lines since version 1")
    screenshot(page, "guideline-diff.png")
    # The refused save is answered 409 with the form, which the browser logs as a failed load; nothing else.
    assert [e for e in errors if "status of 409" not in e] == [], errors
