"""Seed the demo once: re-running finds it in place and only issues fresh tokens."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.accounts import service as accounts
from quorum.demo import data
from quorum.items import importer
from quorum.models import Project, User
from quorum.projects import service as projects

PASSWORD = "quorum-demo"
USERS: list[tuple[str, bool, dict[str, int]]] = [
    ("admin", True, {}),
    ("manager", False, {}),
    ("alice", False, {"math": 3, "python": 2}),
    ("bob", False, {"python": 3}),
    ("carol", False, {"writing": 2}),
]
GUIDELINES = {
    "classification": "# Sentiment\n\nChoose the feeling the **writer** expresses about the product or "
    "service.\n\n- *positive*: praise, satisfaction\n- *negative*: complaints, disappointment\n"
    "- *neutral*: facts without a judgment\n",
    "pairwise": "# Which answer is better?\n\nRead the conversation, then both answers. Prefer the one that is "
    "**correct**, **helpful** and **harmless**, in that order. Use *tie* only when you cannot tell.\n",
}
PROJECTS: list[dict[str, Any]] = [
    {
        "name": "Demo: review sentiment",
        "task_type": "classification",
        "overlap": 3,
        "config": {"labels": ["positive", "negative", "neutral"], "multi": False},
        "rows": data.classification_rows,
    },
    {
        "name": "Demo: which answer is better",
        "task_type": "pairwise",
        "overlap": 2,
        "config": {"allow_tie": True, "axes": ["helpfulness", "harmlessness"]},
        "rows": data.pairwise_rows,
    },
]


@dataclass
class DemoLogin:
    username: str
    password: str
    token: str
    role: str


def seed(db: Session) -> list[DemoLogin]:
    users: dict[str, User] = {}
    for username, is_admin, expertise in USERS:
        existing = db.scalar(select(User).where(User.username == username))
        users[username] = existing or accounts.create_user(
            db, username, password=PASSWORD, is_admin=is_admin, expertise=expertise
        )
    for spec in PROJECTS:
        if db.scalar(select(Project.id).where(Project.name == spec["name"])) is not None:
            continue
        project = projects.create_project(
            db,
            None,
            name=spec["name"],
            task_type=spec["task_type"],
            config=spec["config"],
            overlap=spec["overlap"],
            guidelines=GUIDELINES[spec["task_type"]],
        )
        projects.add_member(db, None, project, users["manager"], "manager")
        for name in ("alice", "bob", "carol"):
            projects.add_member(db, None, project, users[name], "annotator")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "items.jsonl"
            path.write_text("".join(json.dumps(row) + "\n" for row in spec["rows"]()), encoding="utf-8")
            importer.import_file(db, None, project, path)
    logins = []
    for username, is_admin, _ in USERS:
        _, token = accounts.create_token(db, users[username], name="demo")
        role = "admin" if is_admin else ("manager" if username == "manager" else "annotator")
        logins.append(DemoLogin(username, PASSWORD, token, role))
    return logins
