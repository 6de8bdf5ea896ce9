"""A manager opens the Quality tab: agreement (per question and over time), annotators with their confusion
matrices, pairs, low-confidence items, switches method, and reads the models' ranking on a comparison project."""

from __future__ import annotations

from browser_support import seed_people_and_projects
from playwright.sync_api import Page, expect

from conftest import Server, login, screenshot
from test_quality_details import MONDAY
from test_quality_details import seed as seed_at
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
    # All six judgments arrived together: one bucket, too few items to trust, drawn hollow and marked.
    expect(page.locator("#agreement-trend-table tbody tr")).to_have_count(1)
    expect(page.locator("#agreement-trend-table")).to_contain_text("sparse")
    expect(page.locator("#agreement-trend-chart g.point.sparse")).to_have_count(1)
    expect(page.locator("#confusion details")).to_have_count(2)
    first = page.locator("#confusion details").first
    expect(first.locator("table")).to_be_hidden()
    first.locator("summary").click()
    expect(first.locator("table")).to_be_visible()
    expect(first.locator("thead")).to_contain_text("neu")
    expect(page.locator("#annotator-pairs")).to_contain_text("No pair of annotators shares 5 items yet")
    screenshot(page, "manager-quality.png")

    page.select_option("#method", "ds")
    page.click("#method-form button")
    expect(page).to_have_url(f"{server.url}/projects/{pid}/quality?method=ds")
    expect(page.locator("#method")).to_have_value("ds")
    expect(page.locator("#agreement")).to_contain_text("label")

    page.goto(f"{server.url}/projects/{pid}/quality?method=mv")
    page.click("#low-confidence tbody a >> nth=0")
    expect(page.locator("#judgments")).to_contain_text("ann")


def test_manager_reads_the_models_ranking(page: Page, server: Server) -> None:
    ids = seed_people_and_projects(server.database)
    pid = ids["pairwise"]
    answer = {"choice": "B", "strength": "better"}
    rows = [(f"c{i}", who, answer, MONDAY) for i in range(4) for who in ("boss", "ann")]
    rows += [
        ("c4", "boss", {"choice": "tie"}, MONDAY),
        ("c4", "ann", {"choice": "A", "strength": "slightly"}, MONDAY),
    ]
    seed_at(server.database, pid, rows, models={f"c{i}": ["m1", "m2"] for i in range(5)})
    login(page, server, "boss")
    page.goto(f"{server.url}/projects/{pid}/quality")
    table = page.locator("#models-table tbody tr")
    expect(table).to_have_count(2)
    # m2 (shown second) won 8 times, tied once and lost once.
    expect(table.first).to_contain_text("m2")
    expect(table.first.locator("td").nth(3)).to_have_text("8")
    expect(table.first.locator("td").nth(4)).to_have_text("1")
    expect(table.first.locator("td").nth(5)).to_have_text("1")
    expect(page.locator("#annotator-pairs")).to_contain_text("ann · boss")
    screenshot(page, "manager-quality-models.png")
