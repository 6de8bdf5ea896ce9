"""``quorum synthesize`` and ``quorum synthetic list|show|release`` over a real job run."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cli_runner import Quorum, quorum_command
from factories import person, project
from fake_openai import KEY, FakeOpenAI, fake_openai
from quorum.config import Settings
from quorum.db import Database
from quorum.jobs.queue import build_queue
from quorum.jobs.runner import run_job
from quorum.models import Job, SyntheticPrompt
from quorum.providers import service as providers


@pytest.fixture
def quorum(monkeypatch: pytest.MonkeyPatch, database: Database, tmp_path: Path) -> Quorum:
    return quorum_command(monkeypatch, database.url, tmp_path)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    monkeypatch.setenv("SYNTH_CLI_KEY", KEY)
    with fake_openai() as server:
        yield server


def test_synthesize_then_list_show_and_release_from_the_cli(
    quorum: Quorum, database: Database, settings: Settings, fake: FakeOpenAI, tmp_path: Path
) -> None:
    with database.session() as db:
        spec = providers.ModelSpec(
            name="gen", base_url=fake.url, remote_model="fake-chat", api_key_env="SYNTH_CLI_KEY"
        )
        providers.add_model(db, None, spec, allow_link_local=False)
    boss = person(database, "boss")
    project(database, "target", members={boss: "manager"})
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text(json.dumps({"prompt": "Name a bird"}) + "\n" + json.dumps("Describe a storm") + "\n")
    # Each rewrite is a new prompt naming what it rewrote (so a depth-2 prompt shows its parent's text).
    fake.respond = lambda body: (
        "Rewrite of " + hashlib.sha1(body["messages"][0]["content"].encode()).hexdigest()
    )

    bad = quorum("synthesize", "target", "--model", "gen", "--method", "magic", "--owner", "boss", ok=False)
    assert bad.returncode != 0 and "method" in bad.stderr
    ran = quorum(
        "synthesize",
        "target",
        "--model",
        "gen",
        "--method",
        "evol",
        "--depth",
        "2",
        "--count",
        "4",
        "--seeds",
        str(seeds),
        "--owner",
        "boss",
        "--no-semantic",
    )
    found = re.search(r"batch (\d+)\s+job (\d+)", ran.stdout)
    assert found is not None, ran.stdout
    batch_id, job_id = found.groups()
    build_queue(settings, database)  # what a worker has: the settings its job bodies read
    run_job(database, int(job_id))
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(Job)) == 1
        assert db.get(Job, int(job_id)).status == "succeeded"  # type: ignore[union-attr]

    listed = quorum("synthetic", "list", "target").stdout
    assert listed.split()[:4] == [batch_id, "in_review", "evol", "gen"]
    shown = json.loads(quorum("synthetic", "show", "target", batch_id).stdout)
    assert shown["by_status"] == {"survivor": 4} and shown["params"]["depth"] == 2
    assert shown["report"]["semantic"] == "skipped: embedding_model is null"
    # Depth 2 rewrites depth 1's prompt: its request carries the parent's text, its origin names it.
    with database.session() as db:
        deep = list(db.scalars(select(SyntheticPrompt).where(SyntheticPrompt.depth == 2)))
        assert [p.origin["parent"] for p in deep] == ["evol-0-1", "evol-1-1"]
        assert {p.stratum for p in deep} == {"evol:2"}
    assert sum("Rewrite of" in r["body"]["messages"][0]["content"] for r in fake.requests) == 2
    held = quorum("synthetic", "release", "target", batch_id, ok=False)
    assert held.returncode == 1 and "held" in held.stdout
