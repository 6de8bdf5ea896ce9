"""The service is the one way to call a model: chat and embeddings through it write one ``model_calls``
row each (job and item recorded, cost from the registration's prices), on both databases."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import select

from factories import project
from fake_openai import KEY, FakeOpenAI, Step, fake_openai
from quorum.db import Database
from quorum.errors import BadGateway, Invalid
from quorum.models import Item, ModelCall
from quorum.providers import service


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    monkeypatch.setenv("QUORUM_SVC_KEY", KEY)
    with fake_openai() as server:
        yield server


def _spec(fake: FakeOpenAI, name: str, remote: str) -> service.ModelSpec:
    return service.ModelSpec(
        name=name,
        base_url=fake.url,
        remote_model=remote,
        api_key_env="QUORUM_SVC_KEY",
        params={"temperature": 0.0},
        concurrency=2,
        rpm=1000,
        price_in_per_1k=1.0,
        price_out_per_1k=3.0,
    )


def test_chat_and_embed_through_the_service_each_leave_one_row(database: Database, fake: FakeOpenAI) -> None:
    pid = project(database, "gen")
    with database.session() as db:
        item = Item(project_id=pid, external_id="p1", payload={"text": "a prompt"})
        db.add(item)
        db.flush()
        item_id = item.id
        chat_model = service.add_model(db, None, _spec(fake, "gen-chat", "fake-chat"), allow_link_local=False)
        embed_model = service.add_model(
            db, None, _spec(fake, "gen-embed", "fake-embed"), allow_link_local=False
        )
        fake.script = [Step(text="a short answer")]
        reply = service.try_chat(
            db, chat_model, [{"role": "user", "content": "one two three four"}], {"seed": 7},
            purpose="candidate", allow_link_local=False, job_id=41, item_id=item_id,
        ).unwrap()  # fmt: skip
        assert reply.text == "a short answer"
        assert fake.requests[-1]["body"]["seed"] == 7 and fake.requests[-1]["body"]["temperature"] == 0.0
        vectors = service.try_embed(
            db, embed_model, ["alpha beta", "c"], purpose="dedup", allow_link_local=False
        ).unwrap()
        assert vectors.vectors == [[10.0, 97.0, 1.0], [1.0, 99.0, 1.0]]
        fake.script = [Step(status=400)]
        failed = service.try_chat(
            db, service.find_model(db, "gen-chat"), [{"role": "user", "content": "x"}],
            {"max_tokens": 3}, purpose="candidate", allow_link_local=False,
        )  # fmt: skip
        assert isinstance(failed.error, BadGateway)
    with database.session() as db:
        rows = list(db.scalars(select(ModelCall).order_by(ModelCall.id)))
    assert [(r.model_name, r.purpose) for r in rows] == [
        ("gen-chat", "candidate"),
        ("gen-embed", "dedup"),
        ("gen-chat", "candidate"),
    ]
    chat_row, embed_row, error_row = rows
    assert (chat_row.job_id, chat_row.item_id, chat_row.tokens_in, chat_row.tokens_out) == (41, item_id, 4, 3)
    assert chat_row.cost == pytest.approx((4 * 1.0 + 3 * 3.0) / 1000) and chat_row.error is None
    assert (embed_row.tokens_in, embed_row.tokens_out) == (3, 0)
    assert error_row.error is not None and error_row.cost == 0


def test_params_that_would_replace_the_call_itself_are_refused(database: Database, fake: FakeOpenAI) -> None:
    with database.session() as db:
        spec = _spec(fake, "p", "fake-chat")
        for key in ("model", "messages", "stream"):
            with pytest.raises(Invalid) as refused:
                service.add_model(db, None, replace(spec, params={key: "x"}), allow_link_local=False)
            assert refused.value.details == [
                {"loc": ["body", "params"], "field": "params", "msg": f"set by the call itself: {key}"}
            ]
        endpoint = service.add_model(db, None, spec, allow_link_local=False)
        outcome = service.try_chat(
            db,
            endpoint,
            [{"role": "user", "content": "x"}],
            {"model": "other"},
            purpose="t",
            allow_link_local=False,
        )
        assert isinstance(outcome.error, Invalid) and outcome.call.error is not None
    assert fake.requests == []


def test_the_models_concurrency_limit_holds_through_the_service(database: Database, fake: FakeOpenAI) -> None:
    with database.session() as db:
        service.add_model(
            db, None, replace(_spec(fake, "narrow", "fake-chat"), concurrency=2), allow_link_local=False
        )
    fake.script = [Step(delay_s=0.05) for _ in range(6)]

    def one() -> None:
        # As a job would: read, call with no transaction open, record.
        with database.session() as db:
            target = service.probe_target(db, None, "narrow")
        sent = service.send_chat(target, [{"role": "user", "content": "x"}], allow_link_local=False)
        with database.session() as db:
            service.record(db, sent, purpose="t")

    threads = [threading.Thread(target=one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(fake.requests) == 6 and fake.peak == 2
    with database.session() as db:
        assert len(db.scalars(select(ModelCall).where(ModelCall.error.is_(None))).all()) == 6
