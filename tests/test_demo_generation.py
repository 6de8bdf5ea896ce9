"""The demo's generated project: recorded prompts wait for candidates, the recorded-response models answer
them through a real generation job, and annotators then get blind model-against-model comparisons."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from factories import next_task, person
from quorum.config import Settings
from quorum.db import Database
from quorum.demo.seed import GENERATED, GENERATED_PROMPTS, seed_generation
from quorum.jobs.queue import build_queue
from quorum.models import Item, Job, Project
from quorum.providers.recorded import MODEL_NAMES, register_recorded_models, start_recorded_server


@pytest.fixture
def recorded() -> Iterator[str]:
    url, stop = start_recorded_server()
    try:
        yield url
    finally:
        stop()


def test_the_demo_generates_its_comparisons_from_the_recorded_models(
    client: TestClient, database: Database, settings: Settings, recorded: str
) -> None:
    manager, alice = person(database, "manager"), person(database, "alice")
    build_queue(settings, database, immediate=True)
    with database.session() as db:
        register_recorded_models(db, recorded)
        job = seed_generation(db)
        assert job is not None
        job_id = job.id
    with database.session() as db:
        done = db.get(Job, job_id)
        assert done is not None and done.status == "succeeded", (done.status, done.error)
        assert done.result is not None and done.result["failed"] == 0, done.result
        project = db.scalar(select(Project).where(Project.name == GENERATED))
        assert project is not None
        items = list(db.scalars(select(Item).where(Item.project_id == project.id)))
        assert len(items) == GENERATED_PROMPTS and {i.status for i in items} == {"open"}
        assert all(len(i.payload["candidates"]) == 2 for i in items)
        # Model against model: each comparison sets one recorded model's answer beside the other's.
        assert all({c["model"] for c in i.candidate_provenance} == set(MODEL_NAMES) for i in items)
        pid = project.id
        assert seed_generation(db) is None  # once
    # alice existed when the project was made, so she annotates it: blind to which model wrote which.
    task = next_task(client, alice, pid)
    assert task is not None and len(task["item"]["payload"]["candidates"]) == 2
    assert "recorded" not in str(task) and "hh-" not in str(task["item"]["payload"]["candidates"])
    assert manager.id != alice.id
