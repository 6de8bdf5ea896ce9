"""Every console page, found from the page routers (a new page is visited without editing this test),
opens with no console error: no style or script blocked by the Content-Security-Policy, no failed load;
and no JSON escape code (``\\u00e9``, ``\\u003c``) reaches the text of a page."""

from __future__ import annotations

import re

from browser_support import import_rows, page_paths, seed_people_and_projects
from playwright.sync_api import ConsoleMessage, Page, expect

from conftest import Server, login, screenshot
from quorum.accounts import service as accounts
from quorum.assignments import service as assignments
from quorum.models import Item

TEXT = "café — 東京 <b>bold?</b> & “quotes”"
ESCAPE = re.compile(r"\\u[0-9a-fA-F]{4}")


def test_every_console_page_has_no_console_error_and_no_json_escape(page: Page, server: Server) -> None:
    ids = seed_people_and_projects(server.database, items=1)
    pid = ids["classification"]
    import_rows(
        server.database, pid, [{"external_id": "u1", "payload": {"text": TEXT}, "gold": {"labels": ["pos"]}}]
    )
    with server.database.session() as db:
        ann = accounts.get_user(db, "ann")
        while (claimed := assignments.claim(db, ann, pid)) is not None:
            assignments.submit(db, ann, claimed.assignment.id, {"labels": ["neg"]}, 2000)
        item_id = db.query(Item.id).filter_by(project_id=pid, external_id="u1").scalar()
    errors: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{page.url}: {message.text}")

    page.on("console", keep)
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    page.goto(f"{server.url}/login")
    login(page, server, "boss")
    paths = page_paths()
    assert "/projects/{ref}/settings" in paths and "/admin/users" in paths  # the discovery works
    visited = []
    for path in paths:
        url = path.replace("{ref}", str(pid)).replace("{item_id}", str(item_id))
        assert "{" not in url, f"no value for a parameter of {path}"
        response = page.goto(f"{server.url}{url}")
        assert response is not None and response.status == 200, url
        page.wait_for_load_state("networkidle")
        body = page.locator("body").inner_text()
        assert not ESCAPE.search(body), (url, ESCAPE.findall(body))
        if url == f"/projects/{pid}":
            # The dashboard's charts are drawn by the server: bars with labelled axes, no script.
            expect(page.locator("#chart-throughput rect.bar")).to_have_count(14)
            expect(page.locator("#chart-labels")).to_contain_text("neg")
            expect(page.locator("#chart-time .axis-title").first).to_have_text("time per item")
            screenshot(page, "dashboard-charts.png")
        visited.append(url)
    assert errors == [], errors
    assert len(visited) >= 15, visited
