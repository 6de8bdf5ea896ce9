"""A manager creates a project, uploads items (one bad row first), and watches the dashboard count."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from browser_support import seed_people_and_projects
from playwright.sync_api import Page, expect

from conftest import Server, login, screenshot
from quorum.accounts import service as accounts


def test_create_upload_fix_and_watch(page: Page, server: Server, tmp_path: Path) -> None:
    seed_people_and_projects(server.database)
    login(page, server, "boss")
    page.goto(f"{server.url}/projects/new")
    page.fill("input[name=name]", "Toxicity")
    page.select_option("#task-type", "classification")
    page.fill("#config", '{"labels": ["toxic"]}')
    page.click("#new-project button[type=submit]")
    expect(page.locator(".field-error")).to_contain_text("labels")
    page.fill("#config", '{"labels": ["toxic", "fine"]}')
    page.click("#new-project button[type=submit]")
    expect(page.locator(".workbar h1")).to_have_text("Toxicity")
    project_id = page.url.rstrip("/").split("/")[-1]

    page.goto(f"{server.url}/projects/{project_id}/settings")
    page.fill("#members input[name=username]", "ann")
    page.select_option("#members select[name=role]", "annotator")
    page.click("#members form.row button")
    expect(page.locator("#members table")).to_contain_text("ann")

    rows = [{"external_id": f"x{i}", "payload": {"text": f"comment {i}"}} for i in range(3)]
    bad = [*rows[:1], {"external_id": "x1", "payload": {"txt": "typo"}}, *rows[2:]]
    bad_file = tmp_path / "items.jsonl"
    bad_file.write_text("".join(json.dumps(r) + "\n" for r in bad))
    page.goto(f"{server.url}/projects/{project_id}/upload")
    page.set_input_files("input[type=file]", str(bad_file))
    page.click("#upload-form button")
    expect(page.locator("#import-error")).to_contain_text("1 of 3 rows are invalid")
    expect(page.locator("#bad-rows")).to_contain_text("payload.txt")
    expect(page.locator("#bad-rows tbody td").first).to_have_text("2")
    screenshot(page, "manager-upload-report.png")

    good_file = tmp_path / "fixed.jsonl"
    good_file.write_text("".join(json.dumps(r) + "\n" for r in rows))
    page.set_input_files("input[type=file]", str(good_file))
    page.click("#upload-form button")
    expect(page.locator("#import-report")).to_contain_text("3 new")

    page.goto(f"{server.url}/projects/{project_id}")
    expect(page.locator("#stat-items")).to_have_text("3")
    expect(page.locator("#stat-judgments")).to_have_text("0")

    with server.database.session() as db:
        _, token = accounts.create_token(db, accounts.get_user(db, "ann"))
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.url, headers=headers) as http:
        for _ in range(2):
            task = http.post(f"/api/v1/projects/{project_id}/next").json()["assignment"]
            r = http.post(
                f"/api/v1/assignments/{task['id']}/submit",
                json={"answer": {"labels": ["fine"]}, "time_spent_ms": 4200},
            )
            assert r.status_code == 201
    page.reload()
    expect(page.locator("#stat-judgments")).to_have_text("2")
    expect(page.locator("#annotators")).to_contain_text("ann")
    expect(page.locator(".chart svg polyline")).to_have_count(1)
    screenshot(page, "manager-dashboard.png")

    page.goto(f"{server.url}/projects/{project_id}/items?status=complete")
    expect(page.locator("#items tbody tr")).to_have_count(2)
    page.click("#items tbody a >> nth=0")
    expect(page.locator("#judgments")).to_contain_text("ann")
    expect(page.locator("#judgments")).to_contain_text("fine")

    export = page.request.get(f"{server.url}/api/v1/projects/{project_id}/export?format=labels")
    assert export.status == 200
    lines = [json.loads(line) for line in export.text().splitlines()]
    assert [line["label"] for line in lines] == ["fine", "fine"]


def test_pause_and_resume(page: Page, server: Server) -> None:
    ids = seed_people_and_projects(server.database)
    login(page, server, "boss")
    page.goto(f"{server.url}/projects/{ids['classification']}")
    # Pausing asks first: Esc keeps the project active, the dialog's button pauses it.
    page.click("text=Pause the project")
    expect(page.locator("#confirm-dialog")).to_be_visible()
    expect(page.locator("#confirm-dialog-text")).to_contain_text("Nobody gets work")
    page.keyboard.press("Escape")
    expect(page.locator("#confirm-dialog")).to_be_hidden()
    expect(page.locator(".workbar .badge")).to_have_text("active")
    page.click("text=Pause the project")
    page.click("#confirm-dialog-yes")
    expect(page.locator(".workbar .badge")).to_have_text("paused")
    page.click("text=Resume (activate) the project")
    expect(page.locator(".workbar .badge")).to_have_text("active")


def test_admin_manages_users(page: Page, server: Server) -> None:
    seed_people_and_projects(server.database)
    login(page, server, "boss")
    page.goto(f"{server.url}/admin/users")
    page.fill("form.row input[name=username] >> nth=0", "newbie")
    page.fill("form.row input[name=password] >> nth=0", "pass-word-1")
    page.fill("form.row input[name=expertise] >> nth=0", "math=2")
    page.click("form.row button.primary >> nth=0")
    expect(page.locator("#user-newbie")).to_contain_text("newbie")
    page.click("#user-newbie >> text=New API token")
    token = page.locator("#new-token").inner_text().strip()
    assert (
        httpx.get(f"{server.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["username"]
        == "newbie"
    )
    page.click("#user-newbie >> text=Deactivate")
    page.click("#confirm-dialog-yes")
    expect(page.locator("#user-newbie")).to_contain_text("deactivated")
    # The last active admin cannot deactivate themself: refused, said on the page.
    page.click("#user-boss >> text=Deactivate")
    page.click("#confirm-dialog-yes")
    expect(page.locator("#user-boss .field-error")).to_contain_text("last active admin")
    expect(page.locator("#user-boss")).to_contain_text("active")
    assert (
        httpx.get(f"{server.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )
