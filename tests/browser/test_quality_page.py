"""A manager opens the Quality tab: agreement, annotators and low-confidence items, and switches method."""

from __future__ import annotations

from browser_support import seed_people_and_projects
from playwright.sync_api import Page, expect

from conftest import Server, login, screenshot
from test_quality_service import seed


def test_manager_reads_the_quality_page(page: Page, server: Server) -> None:
    ids = seed_people_and_projects(server.database)
    pid = ids["classification"]
    seed(
        server.database,
        pid,
        {
            "q1": {"boss": ({"labels": ["pos"]}, 8000, None), "ann": ({"labels": ["pos"]}, 9000, 1.0)},
            "q2": {"boss": ({"labels": ["neg"]}, 8000, None), "ann": ({"labels": ["pos"]}, 900, None)},
            "q3": {"boss": ({"labels": ["neu"]}, 8000, None), "ann": ({"labels": ["neu"]}, 7000, None)},
        },
    )
    login(page, server, "boss")
    page.goto(f"{server.url}/projects/{pid}")
    page.click("nav.tabs >> text=Quality")
    expect(page.locator("#q-judgments")).to_have_text("6")
    expect(page.locator("#agreement tbody tr")).to_have_count(1)
    expect(page.locator("#agreement")).to_contain_text("label")
    expect(page.locator("#annotator-quality")).to_contain_text("ann")
    expect(page.locator("#annotator-quality")).to_contain_text("1.00 (1)")
    expect(page.locator("#low-confidence tbody tr")).to_have_count(1)
    screenshot(page, "manager-quality.png")

    page.select_option("#method", "ds")
    page.click("#method-form button")
    expect(page).to_have_url(f"{server.url}/projects/{pid}/quality?method=ds")
    expect(page.locator("#method")).to_have_value("ds")
    expect(page.locator("#agreement")).to_contain_text("label")

    page.goto(f"{server.url}/projects/{pid}/quality?method=mv")
    page.click("#low-confidence tbody a >> nth=0")
    expect(page.locator("#judgments")).to_contain_text("ann")
