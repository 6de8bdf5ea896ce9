"""The interfaces other tools rely on: ``quorum project set --suggestion-share --probe-rate
--critique-share``, ``quorum suggest PROJECT --model NAME [--wait]`` and ``quorum assistance``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from cli_runner import Quorum, quorum_command
from factories import person, project
from fake_openai import FakeOpenAI
from generation_support import add_model, fake
from quorum.config import Settings
from quorum.db import Database
from quorum.jobs.queue import build_queue
from quorum.jobs.runner import run_job
from quorum.models import Item, Project, Suggestion

__all__ = ["fake"]


@pytest.fixture
def quorum(monkeypatch: pytest.MonkeyPatch, database: Database, tmp_path: Path) -> Quorum:
    return quorum_command(monkeypatch, database.url, tmp_path)


def test_set_suggest_and_report_from_the_cli(
    quorum: Quorum, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    add_model(database, "cli-model", fake.url)
    boss = person(database, "boss")
    pid = project(database, "target", members={boss: "manager"})
    with database.session() as db:
        for n in range(3):
            db.add(Item(project_id=pid, external_id=f"i{n}", payload={"text": f"t{n}"}))
    quorum(
        "project",
        "set",
        "target",
        "--suggestion-share",
        "0.8",
        "--probe-rate",
        "0.2",
        "--critique-share",
        "0.5",
    )
    with database.session() as db:
        found = db.scalar(select(Project).where(Project.id == pid))
        assert found is not None
        assert (found.suggestion_share, found.probe_rate, found.critique_share) == (0.8, 0.2, 0.5)
    bad = quorum("project", "set", "target", "--suggestion-share", "1.5", ok=False)
    assert bad.returncode == 2 and "suggestion" in bad.stderr.lower()
    fake.respond = lambda body: json.dumps({"labels": ["neg"]})
    ran = quorum("suggest", "target", "--model", "cli-model", "--owner", "boss")
    job_id = int(ran.stdout.strip())
    build_queue(settings, database)  # what a worker has: the settings its job bodies read
    run_job(database, job_id)
    with database.session() as db:
        answers = list(db.scalars(select(Suggestion.answer)))
    assert answers == [{"labels": ["neg"]}] * 3
    missing = quorum("suggest", "target", "--model", "nope", "--owner", "boss", ok=False)
    assert missing.returncode == 2 and "nope" in missing.stderr
    report = quorum("assistance", "target", "--json")
    assert json.loads(report.stdout)["suggestions"]["judgments"] == {"shown": 0, "blind": 0, "probes": 0}
    text = quorum("assistance", "target")
    assert "anchoring effect" in text.stdout
