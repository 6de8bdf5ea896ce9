"""Seed the demo once: users, one project per registered task type with that type's demo items, and one
project whose judgments are all simulated (``SIMULATED``: the ``quorum simulate`` crowd, run in process).
Re-running finds it in place and only issues fresh tokens."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.accounts import service as accounts
from quorum.items import importer
from quorum.models import Project, User
from quorum.projects import service as projects
from quorum.simulate.local import work_in_process
from quorum.simulate.run import prepare
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


SIMULATED = "Simulated: sentiment (synthetic judgments)"
SIM_LABELS = ["positive", "negative", "neutral"]
SIM_ANNOTATORS = 5
SIM_ACCURACY = 0.75
SIM_SEED = 7
_SIM_TEXTS = {
    "positive": [
        "Arrived early and works perfectly; I would buy it again.",
        "The sound is rich and the battery lasts all week.",
        "Setup took two minutes and the app is a pleasure to use.",
        "Sturdy, quiet and cheaper than the competition.",
    ],
    "negative": [
        "Stopped charging after three days and support never answered.",
        "The hinge cracked the first time I opened it.",
        "Loud, slow and the screen flickers constantly.",
        "Missing parts and the manual is in the wrong language.",
    ],
    "neutral": [
        "It is a phone case. It fits the phone.",
        "Delivered on the date given; I have not used it yet.",
        "Same as the previous model as far as I can tell.",
        "The colour is slightly darker than in the photos.",
    ],
}


def _simulated_rows() -> list[dict[str, Any]]:
    """Items with a known true label (``metadata.truth``, what the simulated crowd answers around) and a
    few gold items; every text and judgment in this project is synthetic."""
    rows: list[dict[str, Any]] = []
    for round_ in range(2):
        for label in SIM_LABELS:
            for i, text in enumerate(_SIM_TEXTS[label]):
                n = len(rows) + 1
                row: dict[str, Any] = {
                    "external_id": f"sim-review-{n:02d}",
                    "payload": {"text": f"[simulated #{n}] {text}"},
                    "metadata": {"simulated": True, "truth": {"labels": [label]}},
                }
                if round_ == 0 and i == 0:
                    row["gold"] = {"labels": [label]}
                rows.append(row)
    return rows


def _seed_simulated(db: Session, users: dict[str, User]) -> None:
    """A project worked by the simulated crowd at seed time, labelled as simulated in its name, its
    guidelines, its items and its annotators' names (``sim-...``). Adaptive overlap uses the annotator
    model (``dawid_skene``) once there is enough data, so the dashboard shows it at work."""
    if db.scalar(select(Project.id).where(Project.name == SIMULATED)) is not None:
        return
    project = projects.create_project(
        db,
        None,
        name=SIMULATED,
        task_type="classification",
        config={"labels": SIM_LABELS, "multi": False},
        overlap=2,
        overlap_max=4,
        overlap_rule="dawid_skene",
        confidence_target=0.9,
        gold_rate=0.1,
        guidelines=(
            f"# {SIMULATED}\n\n**Every judgment in this project is simulated.** The annotators named "
            "`sim-...` are the `quorum simulate` crowd (each right about as often as their own accuracy "
            "around 75%), run once when the demo was seeded, over synthetic reviews with a known true "
            "label. Use it to explore the dashboard, quality, review and exports; label the other demo "
            "projects yourself.\n"
        ),
    )
    projects.add_member(db, None, project, users["manager"], "manager")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "items.jsonl"
        path.write_text("".join(json.dumps(row) + "\n" for row in _simulated_rows()), encoding="utf-8")
        importer.import_file(db, None, project, path)
    crowd = prepare(db, project.id, SIM_ANNOTATORS, SIM_ACCURACY, SIM_SEED)
    work_in_process(db, crowd, seed=SIM_SEED)


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
    _seed_simulated(db, users)
    logins = []
    for username, is_admin, _ in USERS:
        _, token = accounts.create_token(db, users[username], name="demo")
        role = "admin" if is_admin else ("manager" if username == "manager" else "annotator")
        logins.append(DemoLogin(username, PASSWORD, token, role))
    return logins
