"""The demo seeds a project whose judgments come from the simulated crowd, labelled as simulated."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from quorum.db import Database
from quorum.demo.seed import SIMULATED, sample_project, seed
from quorum.models import Guideline, Item, Judgment, Membership, Project, User


def test_demo_seeds_a_simulated_project_once(client: TestClient, database: Database) -> None:
    started = time.perf_counter()
    with database.session() as db:
        seed(db)
    seconds = time.perf_counter() - started
    with database.session() as db:
        project = db.scalar(select(Project).where(Project.name == SIMULATED))
        assert project is not None
        assert "simulated" in project.name.lower()
        guidelines = db.scalar(select(Guideline.body).where(Guideline.project_id == project.id))
        assert guidelines is not None and "Every judgment in this project is simulated" in guidelines
        judges = db.execute(
            select(User.username, func.count())
            .join(Judgment, Judgment.user_id == User.id)
            .where(Judgment.project_id == project.id)
            .group_by(User.username)
        ).all()
        total = sum(n for _, n in judges)
        items = db.scalar(select(func.count()).select_from(Item).where(Item.project_id == project.id))
        assert items is not None and total >= 2 * (items - 3)  # overlap 2 on every non-gold item
        assert len(judges) == 5 and all(name.startswith("sim-") for name, _ in judges)
        statuses = db.execute(select(Item.status, Item.gold).where(Item.project_id == project.id)).all()
        assert sum(gold is not None for _, gold in statuses) == 3
        assert all(status == "complete" for status, gold in statuses if gold is None)
        gold_judged = db.scalar(
            select(func.count()).where(Judgment.project_id == project.id, Judgment.gold_score.is_not(None))
        )
        assert gold_judged is not None and gold_judged > 0
        pid = project.id
    assert seconds < 20, f"seeding took {seconds:.1f} s"

    # Idempotent: a second run finds the project and adds nothing.
    with database.session() as db:
        seed(db)
        assert db.scalar(select(func.count()).where(Project.name == SIMULATED)) == 1
        assert db.scalar(select(func.count()).where(Judgment.project_id == pid)) == total

    # The dashboard says so.
    r = client.post("/login", data={"username": "manager", "password": "quorum-demo"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(f"/projects/{pid}")
    assert page.status_code == 200
    assert "Simulated: sentiment (synthetic judgments)" in page.text
    assert "sim-" in page.text


def test_the_demo_has_a_reviewer_and_review_sampling_on(database: Database) -> None:
    with database.session() as db:
        logins = seed(db)
    assert [login.role for login in logins if login.username == "rita"] == ["reviewer"]
    with database.session() as db:
        rita = db.scalar(select(User).where(User.username == "rita"))
        assert rita is not None
        demo = db.scalars(select(Project).where(Project.name.like("Demo:%"))).all()
        assert demo and all(p.review_rate > 0 for p in demo)
        roles = dict(
            db.execute(
                select(Membership.project_id, Membership.role).where(Membership.user_id == rita.id)
            ).all()
        )
        assert all(roles.get(p.id) == "reviewer" for p in demo)
        pid, name = sample_project(db)
        assert name == "Demo: classification" and pid in roles
