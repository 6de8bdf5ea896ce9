"""Seed the demo once: users, and one project per registered task type with that type's demo items.
Re-running finds it in place and only issues fresh tokens."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.accounts import service as accounts
from quorum.items import importer
from quorum.models import Project, User
from quorum.projects import service as projects
from quorum.task_types import registry

PASSWORD = "quorum-demo"
USERS: list[tuple[str, bool, dict[str, int]]] = [
    ("admin", True, {}),
    ("manager", False, {}),
    ("alice", False, {"math": 3, "python": 2}),
    ("bob", False, {"python": 3}),
    ("carol", False, {"writing": 2}),
]
ANNOTATORS = ("alice", "bob", "carol")


@dataclass
class DemoLogin:
    username: str
    password: str
    token: str
    role: str


def _guidelines(name: str, description: str) -> str:
    return (
        f"# Demo: {name}\n\n{description}\n\nRead the whole item before you answer. In the workspace, "
        "press **?** to see the keys; **Enter** submits and **s** skips.\n"
    )


def seed(db: Session) -> list[DemoLogin]:
    users: dict[str, User] = {}
    for username, is_admin, expertise in USERS:
        existing = db.scalar(select(User).where(User.username == username))
        users[username] = existing or accounts.create_user(
            db, username, password=PASSWORD, is_admin=is_admin, expertise=expertise
        )
    for kind in registry.all_types():
        name = f"Demo: {kind.name}"
        if db.scalar(select(Project.id).where(Project.name == name)) is not None:
            continue
        project = projects.create_project(
            db,
            None,
            name=name,
            task_type=kind.name,
            config=kind.example()["config"],
            overlap=2,
            guidelines=_guidelines(kind.name, kind.description),
        )
        projects.add_member(db, None, project, users["manager"], "manager")
        for annotator in ANNOTATORS:
            projects.add_member(db, None, project, users[annotator], "annotator")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "items.jsonl"
            path.write_text("".join(json.dumps(row) + "\n" for row in kind.demo_items()), encoding="utf-8")
            importer.import_file(db, None, project, path)
    logins = []
    for username, is_admin, _ in USERS:
        _, token = accounts.create_token(db, users[username], name="demo")
        role = "admin" if is_admin else ("manager" if username == "manager" else "annotator")
        logins.append(DemoLogin(username, PASSWORD, token, role))
    return logins
