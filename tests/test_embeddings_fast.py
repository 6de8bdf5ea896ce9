"""The fast built-in embedding model ``local-wordllama`` (static WordLlama vectors from its wheel): it
embeds with no network, its vectors are unit length and stable (the same text gives the same vector alone,
in a batch of longer texts, and in a second process), they carry meaning, and ``run_batches`` checkpoints
keyed batch work so a rerun skips what is done, on both databases."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories import person, project
from quorum.db import Database
from quorum.embeddings.checkpoints import Unjobbed, done_batches, forget, run_batches
from quorum.errors import Invalid
from quorum.models import BatchCheckpoint, ModelCall, ModelEndpoint
from quorum.providers import service, static

HERE = Path(__file__).resolve().parent
SENTENCES = ["A cat is sleeping on the sofa.", "A kitten naps on the couch.", "Interest rates rose sharply."]
DIGEST = (
    "import hashlib, numpy as np; from quorum.providers import static; "
    "v, _ = static.embed(static.WORDLLAMA, {texts!r}); print(hashlib.sha256(np.round(v, 5).tobytes()).hexdigest())"
)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"the fast model tried to open a connection: {args}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_it_embeds_offline_into_stable_unit_vectors_that_carry_meaning(no_network: None) -> None:
    static._loaded.clear()  # load here, under the no-network guard
    alone = np.stack([static.embed(static.WORDLLAMA, [s])[0][0] for s in SENTENCES])
    batch, tokens = static.embed(static.WORDLLAMA, [*SENTENCES, "word " * 500, ""])
    assert batch.shape == (5, static.DIMENSIONS) and batch.dtype == np.float32
    np.testing.assert_allclose(batch[:3], alone, atol=1e-6)  # padding beside a long text changes nothing
    np.testing.assert_allclose(np.linalg.norm(batch[:4], axis=1), 1.0, atol=1e-5)
    assert not batch[4].any()  # an empty text is zeros, never NaN
    assert tokens > 500
    cat, kitten, rates = alone
    assert cat @ kitten > cat @ rates + 0.1 and cat @ kitten > kitten @ rates + 0.1


def test_another_process_gets_the_same_vectors() -> None:
    here, _ = static.embed(static.WORDLLAMA, SENTENCES)
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
    code = DIGEST.format(texts=SENTENCES)
    there = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True, timeout=120
    ).stdout.strip()
    assert there == hashlib.sha256(np.round(here, 5).tobytes()).hexdigest()


def test_the_fast_model_registers_on_first_use_and_its_calls_are_in_the_ledger(database: Database) -> None:
    with database.session() as db:
        target = service.embedding_target(db, "local-wordllama")
        assert (target.provider, target.remote_model) == ("local", static.WORDLLAMA)
        outcome = service.record(
            db, service.send_embed(target, SENTENCES, allow_link_local=False), purpose="t"
        )
        assert outcome.error is None and outcome.result is not None
        assert len(outcome.result.vectors) == 3 and len(outcome.result.vectors[0]) == static.DIMENSIONS
    with database.session() as db:
        assert service.embedding_target(db, "local-wordllama").model_id == target.model_id
        assert db.scalar(select(func.count()).select_from(ModelEndpoint)) == 1
        assert db.scalar(select(ModelCall.tokens_in)) == outcome.result.tokens_in > 0


class Crash(Exception):
    pass


class Committing:
    """Reports like a job's context: each progress commits the batch before it."""

    def __init__(self, db: Session) -> None:
        self.db = db

    def progress(self, done: int, total: int | None = None) -> None:
        self.db.commit()

    def check_cancelled(self) -> None:
        return None


def square(batch: list[int]) -> list[int]:
    return [x * x for x in batch]


def test_run_batches_skips_done_batches_and_never_writes_one_twice(database: Database) -> None:
    person(database, "owner")
    pid = project(database)
    batches = [[1, 2], [3, 4], [5], [6, 7]]
    written: list[tuple[int, list[int]]] = []
    crash_at: set[int] = {2}

    def write(db: Session, index: int, result: list[int]) -> None:
        if index in crash_at:
            crash_at.discard(index)
            raise Crash()
        written.append((index, result))

    key = f"score:{pid}:v1"
    # A job's session (as the runner opens it): not one unit of work, each progress commits.
    with pytest.raises(Crash), database.sessionmaker() as db:
        run_batches(Committing(db), key, batches, square, write=write, project_id=pid)
    with database.sessionmaker() as db:
        assert done_batches(db, key) == {0, 1}
        again = run_batches(Committing(db), key, batches, square, write=write, project_id=pid)
    assert (again.batches, again.skipped, again.ran) == (4, 2, 2)
    assert written == [(0, [1, 4]), (1, [9, 16]), (2, [25]), (3, [36, 49])]
    with database.sessionmaker() as db:
        assert done_batches(db, key) == {0, 1, 2, 3}
        assert db.scalar(select(func.count()).select_from(BatchCheckpoint)) == 4
        assert run_batches(Committing(db), key, batches, square, write=write).ran == 0
        forget(db, key)
        db.commit()
    with database.session() as db:
        assert done_batches(db, key) == set()
        # Outside a job the caller's unit of work holds every batch: a crash leaves no checkpoint.
        crash_at.add(1)
    with pytest.raises(Crash), database.session() as db:
        run_batches(Unjobbed(db), key, batches, square, write=write, project_id=pid)
    with database.session() as db:
        assert done_batches(db, key) == set()
        with pytest.raises(Invalid, match="key"):
            run_batches(Unjobbed(db), "", batches, square, write=write)
