"""``quorum critique PROJECT --model NAME [--wait]`` and ``quorum critique report PROJECT [--json]``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cli_runner import quorum_command
from factories import import_rows, person, project
from fake_openai import FakeOpenAI
from generation_support import add_model, fake
from quorum.db import Database
from quorum.jobs import cli as jobs_cli
from quorum.jobs import queue as jobs_queue

__all__ = ["fake"]


def test_cli_critique_runs_the_job_and_reports(
    client: TestClient, database: Database, fake: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.respond = lambda body: json.dumps(
        {"comments": [{"quote": "- 1", "severity": "major", "comment": "bug"}]}
    )
    add_model(database, "critic", fake.url)
    boss = person(database, "root", admin=True)
    pid = project(database, "crit", task_type="critique")
    row = {
        "payload": {"prompt": "avg", "response": "return s / n - 1"},
        "metadata": {"inserted_flaws": [{"quote": "- 1"}]},
    }
    import_rows(client, boss, pid, [row])
    quorum = quorum_command(monkeypatch, database.url, tmp_path)
    monkeypatch.setattr(
        jobs_cli, "build_queue", lambda st, db: jobs_queue.build_queue(st, db, immediate=True)
    )

    ran = quorum("critique", "crit", "--model", "critic", "--wait")
    job_id = int(ran.stdout.splitlines()[0])
    assert ran.stdout.splitlines()[1].split()[:3] == [str(job_id), "critique", "succeeded"]
    assert len(fake.requests) == 1
    missing = quorum("critique", "crit", ok=False)
    assert missing.returncode == 2 and "--model" in missing.stderr
    unknown = quorum("critique", "crit", "--model", "nope", ok=False)
    assert unknown.returncode == 2 and "nope" in unknown.stderr
    wrong_type = project(database, "labels")
    refused = quorum("critique", str(wrong_type), "--model", "critic", ok=False)
    assert refused.returncode == 2 and "no responses to critique" in refused.stderr

    report = json.loads(quorum("critique", "report", "crit", "--json").stdout)
    assert report["items_with_planted_flaws"] == 1 and report["recall_with_critiques"]["value"] is None
    table = quorum("critique", "report", "crit").stdout
    assert "recall with critiques" in table
