"""The embedding store and the ``embed`` job, on both databases, with the fast built-in model
(``local-wordllama``, real weights from its wheel): a job cancelled midway and one that crashes midway are
rerun to the end without embedding any text twice or storing a row twice, and the vectors equal a clean
run's; ``vectors`` reads in order and embeds what is missing; bad input is a clear error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from factories import pairwise_rows, person, project
from quorum.accounts import service as accounts
from quorum.config import Settings
from quorum.db import Database
from quorum.embeddings import compute, service, store, texts
from quorum.errors import Invalid, NotFound
from quorum.items.importer import import_rows as import_items
from quorum.jobs import service as jobs
from quorum.jobs.queue import build_queue
from quorum.models import Item, ItemEmbedding, Job, ModelCall, Project
from quorum.providers import static

FAST = "local-wordllama"
N_ITEMS = 30
BATCH = 8
OWNER: dict[str, str] = {}


class Meddler:
    """Wraps the job's batch function: counts the texts each successful call embedded, and at a chosen
    call cancels the job (from another unit of work, as a user would) or crashes."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.calls = 0
        self.texts: list[str] = []
        self.cancel_at: int | None = None
        self.crash_at: int | None = None

    def __call__(self, batch: compute.EmbedBatch) -> Any:
        self.calls += 1
        if self.calls == self.crash_at:
            raise RuntimeError("the worker died")
        sent = compute.embed_batch(batch)
        self.texts.extend(batch.texts)
        if self.calls == self.cancel_at:
            with self.database.session() as db:
                (job_id,) = db.scalars(select(Job.id).where(Job.kind == "embed", Job.status == "doing"))
                jobs.cancel_job(db, accounts.get_user(db, "owner"), job_id)
        return sent


@pytest.fixture
def meddler(database: Database, monkeypatch: pytest.MonkeyPatch) -> Meddler:
    found = Meddler(database)
    monkeypatch.setattr(service, "embed_batch", found)
    return found


@pytest.fixture
def pid(database: Database, tmp_path: Path) -> Iterator[int]:
    build_queue(Settings(data_dir=tmp_path, database_url=database.url), database, immediate=True)
    owner = person(database, "owner")
    OWNER["token"] = owner.token
    created = project(database, task_type="pairwise", config={}, members={owner: "manager"})
    with database.session() as db:
        rows = pairwise_rows(N_ITEMS)
        # Two items share a response text: it is stored once per item, embedded once.
        rows[1]["payload"]["candidates"][1]["content"] = rows[0]["payload"]["candidates"][1]["content"]
        import_items(db, None, db.get(Project, created), enumerate(rows, 1))
    return created


def submit(database: Database, pid: int, params: dict[str, Any]) -> Job:
    with database.session() as db:
        owner = accounts.get_user(db, "owner")
        job_id = jobs.request_job(db, owner, "embed", db.get(Project, pid), params).id
    with database.session() as db:
        found = db.get(Job, job_id)
        if found is None:
            raise AssertionError("no job")
        db.expunge(found)
        return found


def stored(database: Database, pid: int) -> dict[tuple[int, str, str], bytes]:
    with database.session() as db:
        rows = db.execute(
            select(
                ItemEmbedding.item_id, ItemEmbedding.part, ItemEmbedding.content_hash, ItemEmbedding.vector
            ).where(ItemEmbedding.project_id == pid, ItemEmbedding.model == FAST)
        ).all()
    keys = [(r[0], r[1], r[2]) for r in rows]
    assert len(keys) == len(set(keys)), "a key is stored twice"
    return {(r[0], r[1], r[2]): r[3] for r in rows}


def test_a_cancelled_then_crashed_job_reruns_to_the_end_without_repeating_a_batch(
    database: Database, pid: int, meddler: Meddler
) -> None:
    params = {"model": FAST, "batch_size": BATCH}
    meddler.cancel_at = 2
    first = submit(database, pid, params)
    assert first.status == "cancelled", first.error
    # Two batches of texts; the first holds the response items 0 and 1 share, stored for both.
    assert first.progress_done == 2 * BATCH + 1 and first.progress_total == 3 * N_ITEMS
    assert len(stored(database, pid)) == 2 * BATCH + 1

    meddler.crash_at = 4  # the second call of this run
    second = submit(database, pid, params)
    assert second.status == "failed" and "the worker died" in (second.error or "")
    assert len(stored(database, pid)) == 3 * BATCH + 1

    third = submit(database, pid, params)
    assert third.status == "succeeded", third.error
    result = third.result or {}
    assert result["total"] == 3 * N_ITEMS and result["stored"] == 3 * BATCH + 1
    rows = stored(database, pid)
    assert len(rows) == 3 * N_ITEMS

    # Each text was embedded by exactly one successful call, the shared response once for its two items.
    assert len(meddler.texts) == len(set(meddler.texts)) == 3 * N_ITEMS - 1

    # A fourth run finds nothing to do and calls no model.
    calls_before = meddler.calls
    fourth = submit(database, pid, params)
    assert fourth.status == "succeeded" and (fourth.result or {})["embedded"] == 0
    assert meddler.calls == calls_before

    # The vectors are the model's for each text, whichever run stored them.
    with database.session() as db:
        ids = sorted({k[0] for k in rows})
        got = service.vectors(db, pid, FAST, ids, "candidate:1", embed_missing=False)
        wanted_texts = [w.text for w in service.wanted(db, pid, ["candidate:1"], ids)]
    expected, _ = static.embed(static.WORDLLAMA, wanted_texts)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    with database.session() as db:
        n_calls = db.scalar(select(func.count()).select_from(ModelCall).where(ModelCall.purpose == "embed"))
    assert n_calls == meddler.calls - 1  # every call but the crashed one is in the ledger


def test_vectors_come_in_the_order_asked_and_missing_ones_are_embedded_once(
    database: Database, pid: int
) -> None:
    with database.session() as db:
        item_ids = list(db.scalars(select(Item.id).where(Item.project_id == pid).order_by(Item.id)))
        picked = [item_ids[5], item_ids[0], item_ids[9]]
        with pytest.raises(NotFound, match="3 of 3 items have no stored 'prompt' embedding"):
            service.vectors(db, pid, FAST, picked, "prompt", embed_missing=False)
        got = service.vectors(db, pid, FAST, picked, "prompt")
        again = service.vectors(db, pid, FAST, list(reversed(picked)), "prompt", embed_missing=False)
        assert got.shape == (3, static.DIMENSIONS) and got.dtype == np.float32
        np.testing.assert_array_equal(again, got[::-1])
        assert db.scalar(select(func.count()).select_from(ItemEmbedding)) == 3
        # Writing the same rows again stores nothing new (the unique key, ON CONFLICT DO NOTHING).
        store.write(db, pid, FAST, [store.Row(picked[0], "prompt", texts.content_hash("x"), got[0])] * 2)
        assert db.scalar(select(func.count()).select_from(ItemEmbedding)) == 4
        with pytest.raises(NotFound, match="no item 999999"):
            service.vectors(db, pid, FAST, [999999], "prompt")
        with pytest.raises(Invalid, match="has no 'candidate:2' text"):
            service.vectors(db, pid, FAST, picked, "candidate:2")
        with pytest.raises(Invalid, match="unknown embedding part 'response'"):
            service.vectors(db, pid, FAST, picked, "response")
        with pytest.raises(NotFound, match="no model 'nope'"):
            service.embed_project(db, db.get(Project, pid), model="nope")


def test_the_embed_job_refuses_bad_params_naming_the_field(
    database: Database, pid: int, client: TestClient
) -> None:
    owner = {"Authorization": f"Bearer {OWNER['token']}"}
    cases = [
        ({"model": "no-such-model"}, "params.model"),
        ({"parts": ["prompt", "answer"]}, "parts"),
        ({"batch_size": 0}, "params.batch_size"),
        ({"colour": "red"}, "params.colour"),
    ]
    for params, field in cases:
        r = client.post(
            "/api/v1/jobs", json={"kind": "embed", "project": str(pid), "params": params}, headers=owner
        )
        assert r.status_code == 422, r.text
        assert field in [d["field"] for d in r.json()["error"]["details"]], r.text
