"""Browser tests: a real `quorum serve` process on SQLite, driven by Playwright in Debian's Chromium.

Without /usr/bin/chromium they skip with a message, except under CI, where they fail (`make test` installs
the package when it runs as root)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from ci import skip_or_fail
from live_server import live_server
from quorum.db import Database
from quorum.db.migrate import upgrade

CHROMIUM = os.environ.get("QUORUM_CHROMIUM", "/usr/bin/chromium")
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"


@dataclass
class Server:
    url: str
    database: Database
    data_dir: Path


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    database = Database(f"sqlite:///{tmp_path / 'quorum.db'}")
    upgrade(database.engine)
    try:
        with live_server(database.url, tmp_path, QUORUM_SECRET_KEY="browser-test-secret") as live:
            yield Server(live.url, database, tmp_path)
    finally:
        database.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        message = f"Chromium not found at {CHROMIUM}: install Debian's 'chromium' package"
        skip_or_fail(message)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def login(page: Page, server: Server, username: str, password: str = "correct horse") -> None:
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{server.url}/")


def screenshot(page: Page, name: str) -> Path:
    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / name
    page.screenshot(path=str(path), full_page=True)
    return path
