"""The manager console in a browser: the items list (search, filters, total, bulk actions with a confirm
step), the settings page (add-member form, "saved", review sampling), and an item's comment thread."""

from __future__ import annotations

from browser_support import import_rows, seed_people_and_projects
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from conftest import Server, login, screenshot
from quorum.models import AuditEvent, Item, ItemComment


def test_items_list_search_filters_and_bulk_delete(page: Page, server: Server) -> None:
    ids = seed_people_and_projects(server.database, items=1)
    pid = ids["classification"]
    import_rows(
        server.database,
        pid,
        [{"external_id": f"n{i}", "payload": {"text": f"Naïve text {i}"}, "priority": i} for i in range(6)]
        + [{"external_id": "g0", "payload": {"text": "a gold one"}, "gold": {"labels": ["pos"]}}],
    )
    # No script error and no blocked resource (CSP) on the way; the browser's own favicon probe aside.
    console_errors: list[str] = []
    page.on(
        "console",
        lambda m: (
            console_errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    missing: list[str] = []
    page.on(
        "response", lambda r: missing.append(r.url) if r.status == 404 and "favicon" not in r.url else None
    )
    login(page, server, "boss")
    page.goto(f"{server.url}/projects/{pid}/items")
    expect(page.locator("#items-total")).to_contain_text("8 items match")
    page.fill("#items-filter input[name=q]", "NAÏVE")
    page.select_option("#items-filter select[name=sort]", "-priority")
    page.click("#items-filter button[type=submit]")
    expect(page.locator("#items-total")).to_contain_text("6 items match")
    expect(page.locator("#items tbody tr >> nth=0")).to_contain_text("n5")
    page.select_option("#items-filter select[name=gold]", "yes")
    page.fill("#items-filter input[name=q]", "")
    page.click("#items-filter button[type=submit]")
    expect(page.locator("#items-total")).to_contain_text("1 item match")
    page.goto(f"{server.url}/projects/{pid}/items?q=naive+text&sort=-priority")
    expect(page.locator("#items-total")).to_contain_text("0 items match")  # "ï" is not "i"
    page.goto(f"{server.url}/projects/{pid}/items?q=na%C3%AFve&sort=-priority")

    # Bulk delete asks first; Cancel deletes nothing.
    page.check("#items tbody tr >> nth=0 >> input.tick")
    page.check("#items tbody tr >> nth=1 >> input.tick")
    page.select_option("#bulk-action", "delete")
    page.click("#bulk-apply")
    expect(page.locator("#confirm-dialog-text")).to_contain_text("Delete 2 items?")
    screenshot(page, "items-bulk-confirm.png")
    page.click("#confirm-dialog-no")
    with server.database.session() as db:
        assert db.scalar(select(func.count()).select_from(Item)) == 8 + 1  # plus the pairwise project's
    page.click("#bulk-apply")
    page.click("#confirm-dialog-yes")
    expect(page.locator("#items-done")).to_contain_text("Deleted: 2 items")
    expect(page.locator("#items-total")).to_contain_text("4 items match")
    # Setting priority needs no confirmation; the filter stays as it was.
    page.check("#items tbody tr >> nth=0 >> input.tick")
    page.fill("#bulk-form input[name=priority]", "42")
    page.select_option("#bulk-action", "priority")
    page.click("#bulk-apply")
    expect(page.locator("#items-done")).to_contain_text("Priority set: 1 item")
    expect(page.locator("#items-filter input[name=q]")).to_have_value("naïve")
    with server.database.session() as db:
        left = set(db.scalars(select(Item.external_id).where(Item.project_id == pid)))
        assert left == {"t0", "n0", "n1", "n2", "n3", "g0"}
        assert db.scalar(select(Item.priority).where(Item.external_id == "n3")) == 42
        assert db.scalar(select(func.count()).where(AuditEvent.action == "items.bulk.delete")) == 1
    assert console_errors == [] and missing == []


def test_settings_members_and_comments(page: Page, server: Server) -> None:
    ids = seed_people_and_projects(server.database)
    pid = ids["classification"]
    login(page, server, "boss")
    page.goto(f"{server.url}/projects/{pid}/settings")
    # Review sampling is on the settings page.
    expect(page.locator("input[name=review_rate]")).to_be_visible()
    expect(page.locator("input[name=review_confidence]")).to_be_visible()
    page.fill("input[name=review_rate]", "0.25")
    page.click("section.card form.row button.primary >> nth=0")
    expect(page.locator("#settings-saved")).to_contain_text("saved")
    expect(page.locator("input[name=review_rate]")).to_have_value("0.25")

    # The add-member form starts on annotator and keeps what was typed after an error.
    expect(page.locator("#member-form select[name=role]")).to_have_value("annotator")
    page.fill("#member-form input[name=username]", "nobody-here")
    page.select_option("#member-form select[name=role]", "reviewer")
    page.click("#member-form button")
    expect(page.locator("#member-error")).to_contain_text("nobody-here")
    expect(page.locator("#member-form input[name=username]")).to_have_value("nobody-here")
    expect(page.locator("#member-form select[name=role]")).to_have_value("reviewer")
    page.fill("#member-form input[name=username]", "visitor")
    page.click("#member-form button")
    expect(page.locator("#member-saved")).to_be_visible()
    expect(page.locator("#members table")).to_contain_text("visitor")
    # Removing a member asks first.
    page.click("#members tr:has-text('visitor') button.danger")
    expect(page.locator("#confirm-dialog-text")).to_contain_text("Remove visitor")
    page.click("#confirm-dialog-yes")
    expect(page.locator("#members table")).not_to_contain_text("visitor")

    # A comment thread on an item: markdown rendered, raw HTML not.
    with server.database.session() as db:
        item_id = db.scalar(select(Item.id).where(Item.project_id == pid).order_by(Item.id))
    page.goto(f"{server.url}/projects/{pid}/items/{item_id}")
    page.click("#comment-form button")
    expect(page.locator("#comment-error")).to_contain_text("write something")
    page.fill("#comment-form textarea", "Looks **sarcastic** <img src=x onerror=alert(1)>")
    page.click("#comment-form button")
    expect(page.locator("#comments .comment .md strong")).to_have_text("sarcastic")
    expect(page.locator("#comments img")).to_have_count(0)
    expect(page.locator("#comments .comment")).to_contain_text("boss")
    with server.database.session() as db:
        assert db.scalar(select(func.count()).select_from(ItemComment)) == 1
