"""Screenshots of every console and workspace page of the demo, light and dark, at desktop and phone
width, with each page's server time.

    .venv/bin/python benchmarks/screenshots.py [--out /tmp/shots] [--only work,review] [--repeat 10]

Starts `quorum demo` in a temporary folder and answers the task type's own example item once per demo
project as alice (so the review and edit pages have work). Then, in Chromium (Playwright; Debian's
`chromium`), light and dark (`prefers-color-scheme`), 1366 px and 390 px wide: every console page (found
from the page routers) as admin, and for each task type its workspace and edit pages as alice, its review
page as rita and its item page as admin. Each page is saved as `<view>-<page>.png` (full page) in --out.

Server time: each page fetched --repeat times more by a logged-in client on loopback, after `/healthz`
(the baseline, no work) the same way; the minimum is the page's own cost on a crowded machine. The
browser's time to first byte of each screenshot's navigation is shown beside it. Console errors (a style
the Content-Security-Policy blocks is one) are listed. JSON goes to benchmarks/results/screenshots.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "browser"))
from browser_support import import_rows, page_paths

from live_server import free_port
from quorum.accounts import service as accounts
from quorum.assignments import service as assignments
from quorum.db import Database
from quorum.demo.seed import PASSWORD, REVIEWER, SAMPLE
from quorum.models import Item, Project
from quorum.projects import service as projects
from quorum.task_types import registry

RESULTS = Path(__file__).parent / "results" / "screenshots.json"
CHROMIUM = os.environ.get("QUORUM_CHROMIUM", "/usr/bin/chromium")
VIEWS = {
    "light": {"viewport": {"width": 1366, "height": 900}, "color_scheme": "light"},
    "dark": {"viewport": {"width": 1366, "height": 900}, "color_scheme": "dark"},
    "phone-light": {"viewport": {"width": 390, "height": 844}, "color_scheme": "light", "is_mobile": True},
    "phone-dark": {"viewport": {"width": 390, "height": 844}, "color_scheme": "dark", "is_mobile": True},
}
ANNOTATOR = "alice"


def start_demo(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "QUORUM_DATABASE_URL"}
    env["QUORUM_DATA_DIR"] = str(data_dir)
    log = (data_dir / "demo.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "quorum", "demo", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"the demo did not start:\n{(data_dir / 'demo.log').read_text()[-3000:]}")


def answer_examples(database: Database) -> dict[str, dict[str, int]]:
    """Per task type: its demo project, the example item (imported first in the queue) and alice's
    judgment of it."""
    found: dict[str, dict[str, int]] = {}
    for kind in registry.all_types():
        with database.session() as db:
            pid = db.scalar(select(Project.id).where(Project.name == f"Demo: {kind.name}"))
        if pid is None:
            continue
        example = kind.example()
        row = {"external_id": f"example-{kind.name}", "payload": example["item"]["payload"], "priority": 100}
        import_rows(database, pid, [row])
        with database.session() as db:
            # Every answer waits for review, so the reviewer's page has this one.
            projects.update_project(db, None, projects.find_project(db, pid), {"review_rate": 1.0})
        with database.session() as db:
            alice = accounts.get_user(db, ANNOTATOR)
            claimed = assignments.claim(db, alice, pid)
            if claimed is None or claimed.item.external_id != row["external_id"]:
                raise SystemExit(f"{kind.name}: the example item was not handed out first")
            order = assignments.display_order(kind, claimed.item, claimed.assignment)
            answer = example["answer"]
            shown = answer if order is None else kind.to_displayed(answer, order)
            judgment = assignments.submit(db, alice, claimed.assignment.id, shown, 4000).judgment
            found[kind.name] = {"project": pid, "item": claimed.item.id, "judgment": judgment.id}
    return found


def ttfb_ms(page: Page) -> float:
    entry = page.evaluate(
        "() => { const n = performance.getEntriesByType('navigation')[0];"
        " return n.responseStart - n.requestStart; }"
    )
    return float(entry)


def shoot(
    browser: Browser,
    base: str,
    out: Path,
    plan: list[tuple[str, str, str]],
    timings: dict[str, list[float]],
    errors: list[str],
) -> None:
    """``plan``: (user, name, path) in order; each view logs each user in once."""
    for view, options in VIEWS.items():
        contexts: dict[str, Any] = {}
        try:
            for user, name, path in plan:
                if user not in contexts:
                    context = browser.new_context(**options)
                    page = context.new_page()
                    page.set_default_timeout(30_000)
                    page.on("console", lambda m, p=page: _keep(m, p, errors))
                    page.on("pageerror", lambda exc, p=page: errors.append(f"{p.url}: {exc}"))
                    page.goto(f"{base}/login")
                    page.fill("input[name=username]", user)
                    page.fill("input[name=password]", PASSWORD)
                    page.press("input[name=password]", "Enter")
                    page.wait_for_url(f"{base}/")
                    contexts[user] = (context, page)
                page = contexts[user][1]
                response = page.goto(f"{base}{path}")
                if response is None or response.status != 200:
                    errors.append(f"{path} as {user}: HTTP {response.status if response else '?'}")
                    continue
                page.wait_for_load_state("networkidle")
                timings.setdefault(name, []).append(ttfb_ms(page))
                page.screenshot(path=str(out / f"{view}-{name}.png"), full_page=True)
        finally:
            for context, _ in contexts.values():
                context.close()


def _keep(message: ConsoleMessage, page: Page, errors: list[str]) -> None:
    if message.type == "error":
        errors.append(f"{page.url}: {message.text}")


def time_pages(base: str, plan: list[tuple[str, str, str]], n: int) -> dict[str, dict[str, float]]:
    """Each page fetched ``n`` times by a logged-in client on loopback (keep-alive), after /healthz as
    the baseline: min and median milliseconds. The minimum is the page's own cost on a crowded machine."""
    clients: dict[str, httpx.Client] = {}
    rows: dict[str, dict[str, float]] = {}
    try:
        for user, name, path in [("admin", "GET /healthz (baseline)", "/healthz"), *plan]:
            if user not in clients:
                clients[user] = httpx.Client(base_url=base)
                clients[user].post("/login", data={"username": user, "password": PASSWORD})
            samples = []
            for _ in range(n):
                start = time.perf_counter()
                response = clients[user].get(path)
                samples.append((time.perf_counter() - start) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{path} as {user}: HTTP {response.status_code}")
            rows[name] = {"min_ms": min(samples), "p50_ms": statistics.median(samples)}
    finally:
        for client in clients.values():
            client.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("/tmp/shots"))
    parser.add_argument("--only", default="", help="comma-separated page names (substrings) to shoot")
    parser.add_argument("--repeat", type=int, default=10, help="fetches per page for the server time")
    parser.add_argument("--no-shots", action="store_true", help="only the server times")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        proc, base = start_demo(data_dir)
        database = Database(f"sqlite:///{data_dir / 'quorum.db'}")
        try:
            examples = answer_examples(database)
            with database.session() as db:
                sample = db.scalar(select(Project.id).where(Project.name == SAMPLE))
                item = db.scalar(select(Item.id).where(Item.project_id == sample).limit(1))
            plan: list[tuple[str, str, str]] = []
            for path in page_paths():
                url = path.replace("{ref}", str(sample)).replace("{item_id}", str(item))
                name = "console-" + (re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home")
                plan.append(("admin", name, url))
            for kind, ids in examples.items():
                pid = ids["project"]
                plan.append(("admin", f"item-{kind}", f"/projects/{pid}/items/{ids['item']}"))
                plan.append((ANNOTATOR, f"work-{kind}", f"/projects/{pid}/work"))
                plan.append((ANNOTATOR, f"edit-{kind}", f"/projects/{pid}/work/judgments/{ids['judgment']}"))
                plan.append((REVIEWER, f"review-{kind}", f"/projects/{pid}/review"))
            if args.only:
                wanted = args.only.split(",")
                plan = [step for step in plan if any(w in step[1] for w in wanted)]
            timings: dict[str, list[float]] = {}
            errors: list[str] = []
            if not args.no_shots:
                with sync_playwright() as pw:
                    browser = pw.chromium.launch(
                        executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
                    )
                    shoot(browser, base, args.out, plan, timings, errors)
                    browser.close()
            fetched = time_pages(base, plan, args.repeat)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            database.dispose()
    load = os.getloadavg()
    table = Table("page", "fetch min ms", "fetch p50 ms", "browser TTFB p50 ms")
    for name, row in fetched.items():
        ttfb = f"{statistics.median(timings[name]):.1f}" if name in timings else ""
        table.add_row(name, f"{row['min_ms']:.1f}", f"{row['p50_ms']:.1f}", ttfb)
    console = Console()
    console.print(table)
    console.print(f"{sum(len(v) for v in timings.values())} screenshots in {args.out}; load average {load}")
    for error in errors:
        console.print(f"error: {error}", markup=False, highlight=False)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "repeat": args.repeat,
                "fetch_ms": fetched,
                "browser_ttfb_ms": timings,
                "errors": errors,
                "load_average": load,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
