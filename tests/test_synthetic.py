"""Synthetic prompts end to end on both databases: generation against the fake model server, each dedup
stage's rejections with their reasons, review by people in the review project, the release rule (held and
released), provenance on the released items, a crash-and-rerun that writes nothing twice, and bad requests
that leave no job."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from factories import Person, import_rows, next_task, person, project
from fake_openai import KEY, FakeOpenAI, fake_openai
from quorum.accounts.service import get_user
from quorum.config import Settings
from quorum.db import Database
from quorum.jobs.queue import attach, build_queue
from quorum.jobs.runner import run_job
from quorum.models import Item, Job, ModelCall, Project, SyntheticBatch, SyntheticPrompt
from quorum.projects import service as projects
from quorum.providers import service as providers
from quorum.synthetic import generate
from quorum.synthetic import service as synthetic

SEEDS = [
    "What is the capital of France",
    "Write a short story about a robot who learns to paint sunsets over the quiet harbour town at dusk",
    "Explain how vaccines train the immune system",
    "List three uses of a paperclip",
]
# Each self-instruct call answers with the next of these lists; what each stage must catch is planted.
ANSWERS = [
    "1. Describe the sea at dawn in a short poem\n2. what is the CAPITAL of france?\n3. Name four prime numbers",
    # near: one word of a seed changed; semantic: the same sea poem in other words (same vector below)
    "1. Write a short story about a robot who learns to paint sunsets over the quiet harbour city at dusk\n"
    "2. Write verse about the ocean at sunrise\n3. Give two tips for learning to juggle",
    "I'm sorry, I can't help with that.",
    "1. Name four prime numbers!\n2. Summarise the plot of Hamlet in two sentences\n3. How do tides work",
]


def _vector(text: str) -> list[float]:
    """Texts about the sea share one direction; every other text gets its own (a hash-seeded vector)."""
    if re.search(r"\b(sea|ocean)\b", text.lower()):
        return [1.0] + [0.0] * 32
    digest = hashlib.sha256(text.encode()).digest()
    return [0.0, *(b / 255 - 0.5 for b in digest)]


def _scripted(answers: list[str]) -> Callable[[dict[str, Any]], str]:
    lock, calls = threading.Lock(), [0]

    def respond(body: dict[str, Any]) -> str:
        with lock:
            n = calls[0]
            calls[0] += 1
        return answers[n % len(answers)]

    return respond


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    monkeypatch.setenv("SYNTH_KEY", KEY)
    with fake_openai() as server:
        server.embed = _vector
        yield server


def _models(database: Database, fake: FakeOpenAI) -> None:
    with database.session() as db:
        for name, remote in (("gen", "fake-chat"), ("emb", "fake-embed")):
            spec = providers.ModelSpec(
                name=name, base_url=fake.url, remote_model=remote, api_key_env="SYNTH_KEY"
            )
            providers.add_model(db, None, spec, allow_link_local=False)


def _setup(client: TestClient, database: Database, fake: FakeOpenAI) -> tuple[Person, Person, int]:
    _models(database, fake)
    boss, ann = person(database, "boss"), person(database, "ann")
    pid = project(database, "target", members={boss: "manager"})
    import_rows(
        client, boss, pid, [{"external_id": f"s{i}", "payload": {"text": t}} for i, t in enumerate(SEEDS)]
    )
    return boss, ann, pid


def _join(database: Database, pid: int, username: str) -> None:
    with database.session() as db:
        found = db.get(Project, pid)
        assert found is not None
        projects.add_member(db, None, found, get_user(db, username), "annotator")


def _start(client: TestClient, who: Person, pid: int, **body: Any) -> Any:
    body = {"model": "gen", "count": 12, "per_call": 3, "concurrency": 1, "embedding_model": "emb", **body}
    return client.post(f"/api/v1/projects/{pid}/synthetic", json=body, headers=who.headers)


def _review(client: TestClient, who: Person, pid: int, decide: Callable[[str], dict[str, Any]]) -> int:
    """Review until the queue is empty; how many were reviewed."""
    for done in range(200):
        task = next_task(client, who, pid)
        if task is None:
            return done
        answer = decide(task["item"]["payload"]["prompt"])
        body = {"answer": answer, "time_spent_ms": 900}
        r = client.post(f"/api/v1/assignments/{task['id']}/submit", json=body, headers=who.headers)
        assert r.status_code in (200, 201), r.text
    raise AssertionError("the review queue did not drain")


def test_generate_dedup_review_and_release_end_to_end(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True)
    fake.respond = _scripted(ANSWERS)
    boss, ann, pid = _setup(client, database, fake)

    started = _start(client, boss, pid, bar=0.6, min_reviewed=5)
    assert started.status_code == 202, started.text
    job, batch_id = started.json()["job"], started.json()["batch"]["id"]
    shown = client.get(f"/api/v1/jobs/{job['id']}", headers=boss.headers).json()
    assert shown["status"] == "succeeded", shown
    batch = client.get(f"/api/v1/projects/{pid}/synthetic/{batch_id}", headers=boss.headers).json()
    # 4 calls: 9 prompts parsed + 1 refusal, 5 survivors. Exact: the France variant (an item) and the repeated primes
    # (the batch itself); near: the harbour story; semantic: the ocean verse (same vector as the sea poem).
    assert batch["status"] == "in_review"
    assert batch["rejections"] == {"exact": 2, "near": 1, "semantic": 1, "refusal": 1}
    assert batch["by_status"] == {"rejected": 5, "survivor": 5}
    assert batch["report"]["semantic"] == "ran with 'emb'" and batch["template_version"]
    prompts = client.get(f"/api/v1/projects/{pid}/synthetic/{batch_id}/prompts", headers=boss.headers).json()
    by_text = {p["text"]: p for p in prompts}
    assert by_text["what is the CAPITAL of france?"]["dedup"]["match"].startswith("item:")
    assert by_text["Name four prime numbers!"]["dedup"]["match"].startswith("prompt:")
    near = by_text[
        "Write a short story about a robot who learns to paint sunsets over the quiet harbour city at dusk"
    ]
    assert near["reason"] == "near" and 0.7 <= near["score"] < 1
    assert near["dedup"]["nearest"]["near"] == {"score": near["score"], "match": "item:2"}
    assert by_text["Write verse about the ocean at sunrise"]["reason"] == "semantic"
    with database.session() as db:
        purposes = dict(db.execute(select(ModelCall.purpose, func.count()).group_by(ModelCall.purpose)).all())
        assert purposes == {"synthesize": 4, "dedup": 1}
        assert (
            db.scalar(select(func.count()).select_from(ModelCall).where(ModelCall.job_id != job["id"])) == 0
        )

    # Humans review in the review project; before enough verdicts the rule holds the batch.
    review_pid = batch["review_project_id"]
    _join(database, review_pid, "ann")
    early = client.post(f"/api/v1/projects/{pid}/synthetic/{batch_id}/release", headers=boss.headers).json()
    assert early["decision"]["released"] is False and early["batch"]["status"] == "held"

    def decide(prompt: str) -> dict[str, Any]:
        if "Hamlet" in prompt:
            return {"decision": "reject", "reason": "needs the text"}
        if "tides" in prompt:
            return {"decision": "edit", "text": "Explain how the Moon causes ocean tides"}
        return {"decision": "approve"}

    assert _review(client, ann, review_pid, decide) == 5
    released = client.post(
        f"/api/v1/projects/{pid}/synthetic/{batch_id}/release", headers=boss.headers
    ).json()
    decision = released["decision"]
    assert decision["released"] is True and decision["items"] == 4, decision
    assert decision["estimate"]["share"] == pytest.approx(4 / 5) and decision["estimate"]["reviewed"] == 5
    assert released["batch"]["status"] == "released"
    with database.session() as db:
        items = {
            (i.payload["messages"][0]["content"] if "messages" in i.payload else i.payload["text"]): i.meta
            for i in db.scalars(
                select(Item).where(Item.project_id == pid, Item.external_id.like("synthetic-%"))
            )
        }
    assert "Explain how the Moon causes ocean tides" in items and "How do tides work" not in items
    assert not any("Hamlet" in text for text in items)
    meta = items["Explain how the Moon causes ocean tides"]["synthetic"]
    assert meta["method"] == "self_instruct" and meta["generator"]["model"] == "gen"
    assert meta["original_text"] == "How do tides work" and meta["review"]["decisions"] == ["edit"]
    assert meta["seed_ids"] and all(s.startswith("item:") for s in meta["seed_ids"])
    assert "nearest" in meta["dedup"] and meta["template_version"] == batch["template_version"]
    again = client.post(f"/api/v1/projects/{pid}/synthetic/{batch_id}/release", headers=boss.headers)
    assert again.status_code == 409


def test_a_batch_at_0_6_is_held_at_the_default_bar(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True)
    fresh = [f"{i + 1}. Task number {n} about topic {n * 7}" for i, n in enumerate(range(10))]
    fake.respond = _scripted(["\n".join(fresh)])
    boss, _, pid = _setup(client, database, fake)
    started = _start(client, boss, pid, count=10, per_call=10, embedding_model=None, min_reviewed=10)
    batch = started.json()["batch"]["id"]
    shown = client.get(f"/api/v1/projects/{pid}/synthetic/{batch}", headers=boss.headers).json()
    assert shown["report"]["semantic"] == "skipped: embedding_model is null"
    assert shown["by_status"] == {"survivor": 10}
    review_pid = shown["review_project_id"]
    # The creator manages the review project and may review there too.
    assert (
        _review(
            client,
            boss,
            review_pid,
            lambda p: (
                {"decision": "approve"} if int(p.split()[2]) < 6 else {"decision": "reject", "reason": "dull"}
            ),
        )
        == 10
    )
    held = client.post(f"/api/v1/projects/{pid}/synthetic/{batch}/release", headers=boss.headers).json()
    assert held["decision"]["released"] is False and held["batch"]["status"] == "held"
    assert held["decision"]["estimate"]["share"] == pytest.approx(0.6) and held["decision"]["bar"] == 0.8
    assert "under the bar" in held["decision"]["why"]
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(Item).where(Item.project_id == pid)) == len(SEEDS)


class Crash(Exception):
    pass


def test_a_crashed_job_reruns_without_calling_or_writing_anything_twice(
    client: TestClient,
    database: Database,
    settings: Settings,
    fake: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queue = build_queue(settings, database)
    fake.respond = lambda body: "1. A fresh prompt " + hashlib.sha1(str(body).encode()).hexdigest()[:8]
    boss, _, pid = _setup(client, database, fake)
    monkeypatch.setattr(generate, "UNITS_PER_BATCH", 2)
    started = _start(client, boss, pid, count=6, per_call=1, embedding_model=None, concurrency=2)
    job_id, batch_id = started.json()["job"]["id"], started.json()["batch"]["id"]
    real = generate.run
    calls = [0]

    def crash_on_second_batch(*args: Any, **kw: Any) -> Any:
        progress = kw["progress"]

        def dying(done: int, total: int) -> None:
            calls[0] += 1
            progress(done, total)
            if calls[0] == 2:
                raise Crash()

        return real(*args, **{**kw, "progress": dying})

    monkeypatch.setattr(generate, "run", crash_on_second_batch)
    run_job(database, job_id)  # the worker dies after the second batch committed
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(SyntheticPrompt)) == 4
        assert db.get(Job, job_id).status == "failed"  # type: ignore[union-attr]
    monkeypatch.setattr(generate, "run", real)
    with database.session() as db:
        db.get(Job, job_id).status = "todo"  # type: ignore[union-attr]  # as the runner's retry would
    run_job(database, job_id)
    with database.session() as db:
        rows = list(db.scalars(select(SyntheticPrompt.unit_key).where(SyntheticPrompt.batch_id == batch_id)))
        assert sorted(rows) == [f"si-{n}" for n in range(6)]
        assert db.get(SyntheticBatch, batch_id).status == "in_review"  # type: ignore[union-attr]
        assert db.scalar(select(func.count()).select_from(ModelCall)) == 6
    assert len([r for r in fake.requests if r["path"].endswith("/chat/completions")]) == 6
    assert queue is not None


def test_bad_requests_are_422s_naming_the_field_and_leave_no_job(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database)
    boss, ann, pid = _setup(client, database, fake)
    cases = [
        ({"model": "nope"}, "model"),
        ({"method": "magic"}, "method"),
        ({"count": 0}, "count"),
        ({"count": True}, "count"),
        ({"embedding_model": "missing"}, "embedding_model"),
        ({"seeds": ["fine", ""]}, "seeds.1"),
        ({"params": {"model": "x"}}, "params"),
        ({"params": {"temperature": 9}}, "params.temperature"),
        ({"near": 0.99}, "near"),
        ({"bar": 1.5}, "bar"),
        ({"surprise": 1}, "surprise"),
    ]
    for body, field in cases:
        r = _start(client, boss, pid, **body)
        assert r.status_code == 422, (body, r.text)
        assert field in [d["field"] for d in r.json()["error"]["details"]], (body, r.json())
    assert _start(client, ann, pid).status_code == 404  # not a member
    # A steps item is a problem with its solution's steps: a bare prompt is not one.
    steps = project(database, "solutions", task_type="steps", config={}, members={boss: "manager"})
    r = _start(client, boss, steps, seeds=["a seed"])
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "project"
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(Job)) == 0
        assert db.scalar(select(func.count()).select_from(SyntheticBatch)) == 0


def _login(client: TestClient, who: str) -> None:
    r = client.post("/login", data={"username": who, "password": "correct horse"}, follow_redirects=False)
    assert r.status_code == 303, r.text


def test_the_page_lists_batches_and_its_button_applies_the_rule_for_managers_only(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True)
    fake.respond = _scripted(["1. Plan a picnic for six people\n2. Name a river in Asia"])
    boss, _, pid = _setup(client, database, fake)
    batch = _start(client, boss, pid, count=2, per_call=2, embedding_model=None, min_reviewed=1).json()[
        "batch"
    ]
    _login(client, "boss")
    page = client.get(f"/projects/{pid}/synthetic")
    assert page.status_code == 200 and 'id="synthetic-batches"' in page.text and "<script>" not in page.text
    assert "in_review" in page.text and f'data-release="{batch["id"]}"' in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    assert client.post(f"/projects/{pid}/synthetic/{batch['id']}/release", data={}).status_code == 403
    done = client.post(
        f"/projects/{pid}/synthetic/{batch['id']}/release",
        data={"csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "held" in client.get(f"/projects/{pid}/synthetic").text  # no reviews yet: held
    client.post("/logout", data={"csrf_token": token.group(1)})
    _join(database, pid, "ann")
    _login(client, "ann")
    assert client.get(f"/projects/{pid}/synthetic").status_code == 403


class Held:
    """A queue that keeps the ids it is sent."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    def enqueue(self, job_id: int) -> None:
        self.ids.append(job_id)


def test_a_batch_started_in_a_unit_of_work_that_rolls_back_sends_no_job(
    client: TestClient, database: Database, fake: FakeOpenAI
) -> None:
    boss, _, pid = _setup(client, database, fake)
    held = Held()
    attach(database, held)

    def failing_request() -> None:
        with database.session() as db:
            target = db.get(Project, pid)
            assert target is not None
            synthetic.start(db, get_user(db, "boss"), target, {"model": "gen"}, default_bar=0.8)
            raise RuntimeError("the request failed after the job was written")

    with pytest.raises(RuntimeError):
        failing_request()
    assert held.ids == []
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(SyntheticBatch)) == 0
        assert db.scalar(select(func.count()).select_from(Job)) == 0
        target = db.get(Project, pid)
        assert target is not None
        _, job = synthetic.start(db, get_user(db, "boss"), target, {"model": "gen"}, default_bar=0.8)
        job_id = job.id
    assert held.ids == [job_id] and boss.id


def test_a_model_that_fails_every_call_fails_the_job_with_its_error_and_writes_no_prompt(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database, immediate=True)
    boss, _, pid = _setup(client, database, fake)
    with database.session() as db:
        spec = providers.ModelSpec(
            name="nope", base_url=fake.url, remote_model="gpt-nope", api_key_env="SYNTH_KEY"
        )
        providers.add_model(db, None, spec, allow_link_local=False)
    started = _start(client, boss, pid, model="nope", count=4, per_call=2, embedding_model=None)
    job = client.get(f"/api/v1/jobs/{started.json()['job']['id']}", headers=boss.headers).json()
    assert job["status"] == "failed" and "'nope'" in job["error"], job
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(SyntheticPrompt)) == 0
        errors = list(db.scalars(select(ModelCall.error).where(ModelCall.model_name == "nope")))
        assert len(errors) == 2 and all(errors)
    batch = client.get(
        f"/api/v1/projects/{pid}/synthetic/{started.json()['batch']['id']}", headers=boss.headers
    )
    assert batch.json()["status"] == "generating"


def test_a_cancelled_job_stops_before_its_next_batch(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    build_queue(settings, database)
    boss, _, pid = _setup(client, database, fake)
    job_id = _start(client, boss, pid, count=4, embedding_model=None).json()["job"]["id"]
    with database.session() as db:
        job = db.get(Job, job_id)
        assert job is not None
        job.cancel_requested = True
    run_job(database, job_id)
    with database.session() as db:
        assert db.get(Job, job_id).status == "cancelled"  # type: ignore[union-attr]
        assert db.scalar(select(func.count()).select_from(SyntheticPrompt)) == 0
    assert fake.requests == []


def test_by_default_the_local_minilm_catches_a_paraphrase(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    """No embedding model named: the built-in offline MiniLM embeds (a real model, loaded once per test
    process), and a reworded prompt that shares almost no words with its twin is rejected as semantic."""
    build_queue(settings, database, immediate=True)
    fake.respond = _scripted(
        [
            "1. How can I bake bread at home?\n2. What is the best way to bake bread at home?\n3. Name four primes"
        ]
    )
    boss, _, pid = _setup(client, database, fake)
    body = {"model": "gen", "count": 3, "per_call": 3, "concurrency": 1, "min_reviewed": 1}
    started = client.post(f"/api/v1/projects/{pid}/synthetic", json=body, headers=boss.headers)
    assert started.status_code == 202, started.text
    batch_id = started.json()["batch"]["id"]
    batch = client.get(f"/api/v1/projects/{pid}/synthetic/{batch_id}", headers=boss.headers).json()
    assert batch["report"]["semantic"] == "ran with 'local-minilm'"
    assert batch["rejections"] == {"semantic": 1}, batch
    prompts = client.get(f"/api/v1/projects/{pid}/synthetic/{batch_id}/prompts", headers=boss.headers).json()
    rejected = next(p for p in prompts if p["reason"] == "semantic")
    assert rejected["text"] == "What is the best way to bake bread at home?" and rejected["score"] > 0.9
    with database.session() as db:
        calls = db.scalars(select(ModelCall.model_name).where(ModelCall.purpose == "dedup")).all()
    assert calls == ["local-minilm"]


def test_prompts_released_into_a_comparison_project_get_their_candidates_generated(
    client: TestClient, database: Database, settings: Settings, fake: FakeOpenAI
) -> None:
    """Synthetic prompts feed on-policy generation: released into a pairwise project with automatic
    generation on, they arrive awaiting candidates and the same release submits the generation job."""
    build_queue(settings, database, immediate=True)
    fake.respond = _scripted(
        ["1. Plan a picnic for six\n2. Explain rainbows to a child\n3. Name a fast bird"]
    )
    _models(database, fake)
    boss = person(database, "boss")
    pid = project(database, "pairs", task_type="pairwise", config={}, members={boss: "manager"})
    auto = client.put(
        f"/api/v1/projects/{pid}/generations/auto",
        json={"models": ["gen"], "samples": 2},
        headers=boss.headers,
    )
    assert auto.status_code == 200, auto.text
    seeds = ["How do magnets work?", "Suggest a name for a cat"]
    import_rows(
        client, boss, pid,
        [{"external_id": f"p{i}", "payload": {"messages": [{"role": "user", "content": t}]}} for i, t in enumerate(seeds)],
    )  # fmt: skip
    started = _start(client, boss, pid, count=3, per_call=3, embedding_model=None, min_reviewed=3, bar=0.5)
    assert started.status_code == 202, started.text
    batch = started.json()["batch"]["id"]
    review_pid = client.get(f"/api/v1/projects/{pid}/synthetic/{batch}", headers=boss.headers).json()[
        "review_project_id"
    ]
    assert _review(client, boss, review_pid, lambda _p: {"decision": "approve"}) == 3
    released = client.post(f"/api/v1/projects/{pid}/synthetic/{batch}/release", headers=boss.headers).json()
    decision = released["decision"]
    assert decision["released"] is True and decision["items"] == 3, decision
    job = client.get(f"/api/v1/jobs/{decision['generation_job_id']}", headers=boss.headers).json()
    assert job["kind"] == "generate" and job["status"] == "succeeded", job
    with database.session() as db:
        made = list(
            db.scalars(select(Item).where(Item.project_id == pid, Item.external_id.like("synthetic-%")))
        )
    assert len(made) == 3 and {i.status for i in made} == {"open"}
    assert all(len(i.payload["candidates"]) == 2 for i in made)
