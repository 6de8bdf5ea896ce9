"""Streamed chat: pieces arrive as the server sends them, a failure before the first piece is retried like
any call, one after it is not (the caller has shown the pieces) and is recorded in the ledger with the
time to first token, on both databases; ``quorum model test --stream`` prints the pieces."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from cli_runner import quorum_command
from fake_openai import KEY, FakeOpenAI, Step, fake_openai
from quorum.db import Database
from quorum.errors import BadGateway
from quorum.models import ModelCall
from quorum.providers import service
from quorum.providers.base import Connection
from quorum.providers.openai_compatible import OpenAICompatible
from quorum.providers.retry import RetryPolicy

FAST = RetryPolicy(attempts=4, base_s=0.001, cap_s=0.01)
MESSAGES = [{"role": "user", "content": "count to five please"}]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    monkeypatch.setenv("QUORUM_STREAM_KEY", KEY)
    with fake_openai() as server:
        yield server


def _provider(fake: FakeOpenAI) -> OpenAICompatible:
    return OpenAICompatible(Connection("streamer", fake.url, "fake-chat", KEY, retry=FAST))


def test_a_streamed_answer_arrives_in_pieces(fake: FakeOpenAI) -> None:
    fake.script = [Step(text="one two three four five", piece_delay_s=0.05)]
    arrived: list[tuple[str, float]] = []
    result = _provider(fake).chat_stream(
        MESSAGES, {}, lambda piece: arrived.append((piece, time.monotonic()))
    )
    assert [piece for piece, _ in arrived] == ["one ", "two ", "three ", "four ", "five"]
    assert arrived[-1][1] - arrived[0][1] >= 0.15  # delivered as sent, not all at the end
    assert result.text == "one two three four five"
    assert (result.tokens_in, result.tokens_out, result.raw_model) == (4, 5, "fake-chat-2026-01-01")
    assert result.first_token_ms is not None and 0 < result.first_token_ms < result.latency_ms
    body = fake.requests[0]["body"]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


def test_a_429_before_the_first_piece_is_retried(fake: FakeOpenAI) -> None:
    fake.script = [Step(status=429, headers={"Retry-After": "0.01"}), Step(text="after all")]
    pieces: list[str] = []
    provider = _provider(fake)
    result = provider.chat_stream(MESSAGES, {}, pieces.append)
    assert pieces == ["after ", "all"] and result.text == "after all"
    assert provider.attempts == 2 and len(fake.requests) == 2


def test_an_error_mid_stream_is_not_retried_and_is_recorded(database: Database, fake: FakeOpenAI) -> None:
    spec = service.ModelSpec(
        name="streamer", base_url=fake.url, remote_model="fake-chat", api_key_env="QUORUM_STREAM_KEY"
    )
    with database.session() as db:
        target = service.Target.of(service.add_model(db, None, spec, allow_link_local=False))
    fake.script = [Step(text="a b c d", break_after=2)]
    pieces: list[str] = []
    sent = service.send_chat_stream(target, MESSAGES, None, pieces.append, allow_link_local=False)
    assert pieces == ["a ", "b "] and len(fake.requests) == 1
    assert isinstance(sent.error, BadGateway)
    assert "model 'streamer'" in sent.error.message and "broke after 2 pieces" in sent.error.message
    fake.script = [Step(text="whole answer")]
    whole = service.send_chat_stream(
        target, MESSAGES, {"max_tokens": 5}, lambda _: None, allow_link_local=False
    )
    with database.session() as db:
        service.record(db, sent, purpose="candidate")
        service.record(db, whole, purpose="candidate")
    with database.session() as db:
        broken, ok = db.scalars(select(ModelCall).order_by(ModelCall.id)).all()
    assert broken.error is not None and "broke after 2 pieces" in broken.error
    assert ok.error is None and (ok.tokens_in, ok.tokens_out) == (4, 2)
    assert ok.first_token_ms is not None and 0 < ok.first_token_ms <= ok.latency_ms


def test_reserved_stream_parameters_are_refused(fake: FakeOpenAI) -> None:
    target = service.Target(0, "s", "openai", fake.url, "fake-chat", None, {}, None, None, 0.0, 0.0)
    sent = service.send_chat(target, MESSAGES, {"stream_options": {}}, allow_link_local=False)
    assert sent.error is not None and "stream_options" in sent.error.message and fake.requests == []


def test_model_test_stream_prints_the_pieces(
    monkeypatch: pytest.MonkeyPatch, database: Database, tmp_path: Path, fake: FakeOpenAI
) -> None:
    quorum = quorum_command(monkeypatch, database.url, tmp_path)
    quorum("model", "add", "streamer", "--base-url", fake.url, "--model", "fake-chat",
           "--api-key-env", "QUORUM_STREAM_KEY")  # fmt: skip
    fake.script = [Step(text="streamed right here")]
    tested = quorum("model", "test", "streamer", "--stream")
    assert tested.stdout.strip() == "streamed right here"
    assert "first token after" in tested.stderr
    assert fake.requests[-1]["body"]["stream"] is True
    with database.session() as db:
        assert db.scalar(select(ModelCall.first_token_ms)) is not None
