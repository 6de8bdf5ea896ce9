"""Local offline embeddings (the ``local`` provider, all-MiniLM-L6-v2 from its PyPI package): one test
loads the real model (once per test worker) and checks that it embeds meaning; the rest stub the loader
and check registration, the default embedding model and the ledger, on both databases."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cli_runner import Quorum, quorum_command
from factories import person
from quorum.db import Database
from quorum.errors import Invalid, NotFound
from quorum.models import AuditEvent, ModelCall, ModelEndpoint
from quorum.providers import local, service


class _Tokenizer:
    def __call__(self, texts: Sequence[str], **_: Any) -> dict[str, list[list[int]]]:
        return {"input_ids": [[0] * (len(t.split()) + 2) for t in texts]}


class StubModel:
    """Stands in for the sentence-transformers model: a unit vector per text, 384 wide."""

    max_seq_length = 256
    tokenizer = _Tokenizer()

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str], **_: Any) -> list[list[float]]:
        self.calls.append(texts)
        return [[1.0] + [0.0] * (local.DIMENSIONS - 1) for _ in texts]


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> StubModel:
    model = StubModel()
    monkeypatch.setattr(local, "_load", lambda remote_model: model)
    return model


@pytest.fixture(scope="module")
def minilm() -> Any:
    # One real load per test worker (about 4 s); every other test stubs it.
    return local._load(local.MINILM)


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_the_real_model_puts_similar_sentences_closer_than_unrelated_ones(minilm: Any) -> None:
    provider = local.LocalEmbeddings(service._connection(_target()))
    result = provider.embed(
        [
            "A cat is sleeping on the sofa.",
            "A kitten naps on the couch.",
            "Interest rates rose sharply this quarter.",
        ]
    )
    cat, kitten, rates = result.vectors
    assert len(cat) == local.DIMENSIONS
    assert all(math.isclose(math.sqrt(_cosine(v, v)), 1.0, abs_tol=1e-4) for v in result.vectors)
    assert _cosine(cat, kitten) > _cosine(cat, rates) + 0.3
    assert _cosine(cat, kitten) > _cosine(kitten, rates) + 0.3
    assert result.tokens_in > 10
    assert local._load(local.MINILM) is minilm  # loaded once per process


def _target() -> service.Target:
    return service.Target(0, "mini", local.KIND, local.BASE_URL, local.MINILM, None, {}, None, None, 0.0, 0.0)


def test_a_local_model_only_embeds() -> None:
    sent = service.send_chat(_target(), [{"role": "user", "content": "hi"}], allow_link_local=False)
    assert isinstance(sent.error, Invalid) and "'mini' only embeds" in sent.error.message


def test_default_embedding_target_registers_local_minilm_once_and_records_calls(
    database: Database, stub: StubModel
) -> None:
    with database.session() as db:
        target = service.embedding_target(db)
        assert (target.name, target.provider, target.base_url) == ("local-minilm", "local", "local:")
        assert service.embedding_target(db) == target
        sent = service.send_embed(target, ["one two", "three"], allow_link_local=False)
        service.record(db, sent, purpose="dedup")
        assert service.embedding_target(db, "local-minilm") == target
        with pytest.raises(NotFound):
            service.embedding_target(db, "nope")
    assert sent.result is not None and len(sent.result.vectors) == 2 and sent.result.tokens_in == 7
    assert stub.calls == [["one two", "three"]]
    with database.session() as db:
        assert db.scalars(select(ModelEndpoint.name)).all() == ["local-minilm"]
        (row,) = db.scalars(select(ModelCall)).all()
        assert (row.model_name, row.purpose, row.tokens_in, row.error) == ("local-minilm", "dedup", 7, None)
        assert [e.action for e in db.scalars(select(AuditEvent))] == ["model.add"]


def test_the_cli_registers_a_local_model_without_a_base_url(
    monkeypatch: pytest.MonkeyPatch, database: Database, tmp_path: Path, stub: StubModel
) -> None:
    quorum: Quorum = quorum_command(monkeypatch, database.url, tmp_path)
    quorum("model", "add", "mini", "--provider", "local", "--model", "all-MiniLM-L6-v2")
    assert "all-MiniLM-L6-v2 (local)" in quorum("model", "list").stdout
    tested = quorum("model", "test", "mini", ok=False)
    assert tested.returncode == 1 and "only embeds" in tested.stderr
    with database.session() as db:
        assert db.scalar(select(ModelEndpoint.base_url).where(ModelEndpoint.name == "mini")) == "local:"


def test_the_api_names_model_for_an_unknown_local_model_and_base_url_when_one_is_given(
    client: TestClient, database: Database
) -> None:
    admin = person(database, "admin", admin=True)
    bad = client.post(
        "/api/v1/models",
        json={"name": "m", "provider": "local", "model": "bert-large"},
        headers=admin.headers,
    )
    assert bad.status_code == 422
    assert [d["field"] for d in bad.json()["error"]["details"]] == ["model"]
    assert "all-MiniLM-L6-v2" in bad.json()["error"]["details"][0]["msg"]
    with_url = client.post(
        "/api/v1/models",
        json={"name": "m", "provider": "local", "model": local.MINILM, "base_url": "http://127.0.0.1:1/v1"},
        headers=admin.headers,
    )
    assert with_url.status_code == 422 and with_url.json()["error"]["details"][0]["field"] == "base_url"
    ok = client.post(
        "/api/v1/models",
        json={"name": "m", "provider": "local", "model": local.MINILM},
        headers=admin.headers,
    )
    assert ok.status_code == 201, ok.text
    assert (ok.json()["base_url"], ok.json()["has_api_key"], ok.json()["api_key_source"]) == (
        "local:",
        False,
        None,
    )
