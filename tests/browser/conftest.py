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
from live_server import Starting
from quorum.db import Database

CHROMIUM = os.environ.get("QUORUM_CHROMIUM", "/usr/bin/chromium")
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"


@dataclass
class Server:
    url: str
    database: Database
    data_dir: Path


@dataclass
class _Fresh:
    """A migrated database of its own and a server process on it, starting."""

    database: Database
    data_dir: Path
    process: Starting

    @classmethod
    def start(cls, tmp_path_factory: pytest.TempPathFactory, template: Path) -> _Fresh:
        data_dir = tmp_path_factory.mktemp("server")
        shutil.copy(template, data_dir / "quorum.db")
        database = Database(f"sqlite:///{data_dir / 'quorum.db'}")
        return cls(
            database, data_dir, Starting(database.url, data_dir, QUORUM_SECRET_KEY="browser-test-secret")
        )

    def close(self) -> None:
        self.process.stop()
        self.database.dispose()


@pytest.fixture(scope="session")
def _next_server() -> Iterator[list[_Fresh]]:
    waiting: list[_Fresh] = []
    yield waiting
    for fresh in waiting:
        fresh.close()


@pytest.fixture
def server(
    _next_server: list[_Fresh], tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Server]:
    """Each test gets a fresh database and its own server process. The next test's is started as this one
    begins, so its seconds of start-up overlap this test's work instead of adding to the suite's time."""
    fresh = _next_server.pop() if _next_server else _Fresh.start(tmp_path_factory, sqlite_template)
    _next_server.append(_Fresh.start(tmp_path_factory, sqlite_template))
    try:
        live = fresh.process.ready()
        yield Server(live.url, fresh.database, fresh.data_dir)
    finally:
        fresh.close()


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
