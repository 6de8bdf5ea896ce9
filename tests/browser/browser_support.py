"""Seed data for the browser tests (plain functions over the services)."""

from __future__ import annotations

import importlib
import json
import pkgutil
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import ConsoleMessage, Page

import quorum
from quorum.accounts import service as accounts
from quorum.db import Database
from quorum.items import importer
from quorum.projects import service as projects


def import_rows(database: Database, project_id: int, rows: list[dict[str, Any]]) -> None:
    with database.session() as db, tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        importer.import_file(db, None, projects.find_project(db, project_id), path)


def seed_people_and_projects(database: Database, *, items: int = 2) -> dict[str, int]:
    with database.session() as db:
        boss = accounts.create_user(db, "boss", password="correct horse", is_admin=True)
        ann = accounts.create_user(db, "ann", password="correct horse")
        accounts.create_user(db, "visitor", password="correct horse")
        c = projects.create_project(
            db,
            boss,
            name="sentiment",
            task_type="classification",
            config={"labels": ["pos", "neg", "neu"]},
            guidelines="Pick the **feeling**.",
        )
        p = projects.create_project(
            db,
            boss,
            name="preferences",
            task_type="pairwise",
            config={"allow_tie": True},
            guidelines="Prefer the *correct* answer.",
        )
        for project in (c, p):
            projects.add_member(db, boss, project, boss, "manager")
            projects.add_member(db, boss, project, ann, "annotator")
        ids = {"classification": c.id, "pairwise": p.id}
    import_rows(
        database,
        ids["classification"],
        [{"external_id": f"t{i}", "payload": {"text": f"text number {i}"}} for i in range(items)],
    )
    import_rows(
        database,
        ids["pairwise"],
        [
            {
                "external_id": "p0",
                "payload": {
                    "messages": [{"role": "user", "content": "What is 2 + 2?"}],
                    "candidates": [{"content": "5", "model": "m1"}, {"content": "**4**", "model": "m2"}],
                },
            }
        ],
    )
    return ids


def console_errors(page: Page) -> list[str]:
    """Collects console errors (a style or script the CSP blocks is one) and uncaught exceptions."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{message.text} ({message.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


NOT_PAGES = {"/healthz", "/readyz", "/login"}
# Only its annotator may open the edit page of a judgment (an admin sweeping the console may not):
# tests/browser/test_workspace_work.py opens it as that annotator and checks it for console errors.
OWN_PAGES = {"/projects/{ref}/work/judgments/{judgment_id}"}


def page_paths() -> list[str]:
    """Every console page's path, found from the page routers (a new page is found without a list)."""
    paths = set()
    for module in pkgutil.walk_packages(quorum.__path__, "quorum."):
        if not module.name.endswith(".views"):
            continue
        router = getattr(importlib.import_module(module.name), "router", None)
        for route in getattr(router, "routes", []):
            path = getattr(route, "path", "")
            if "GET" in getattr(route, "methods", ()) and not path.startswith(("/ui/", "/api/", "/static/")):
                paths.add(path)
    return sorted(paths - NOT_PAGES - OWN_PAGES)
