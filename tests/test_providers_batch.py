"""The batch executor: calls go out concurrently, come back in input order, and errors stay per call."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fake_openai import KEY, FakeOpenAI, Step, fake_openai
from quorum.providers.batch import ChatCall, batched, send_chats, send_embeds
from quorum.providers.service import Target


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    monkeypatch.setenv("FAKE_KEY", KEY)
    with fake_openai() as server:
        yield server


def _target(fake: FakeOpenAI, remote: str = "fake-chat") -> Target:
    return Target(
        model_id=1, name="m", provider="openai", base_url=fake.url, remote_model=remote,
        api_key_env="FAKE_KEY", params={}, concurrency=None, rpm=None, price_in_per_1k=0.0,
        price_out_per_1k=0.0,
    )  # fmt: skip


def test_calls_run_concurrently_and_keep_their_order(fake: FakeOpenAI) -> None:
    fake.script = [Step(text=f"answer {i}", delay_s=0.2) for i in range(8)]
    target = _target(fake)
    calls = [ChatCall(target, [{"role": "user", "content": f"q{i}"}]) for i in range(8)]
    sent = send_chats(calls, concurrency=8, allow_link_local=False)
    assert fake.peak >= 4
    # Each answer is the one for its own request: match them through the request log.
    asked = {r["body"]["messages"][0]["content"] for r in fake.requests}
    assert asked == {f"q{i}" for i in range(8)}
    assert all(s.error is None and s.result is not None for s in sent)
    assert len(sent) == 8


def test_an_error_stays_with_its_call(fake: FakeOpenAI) -> None:
    bad = _target(fake, remote="no-such-model")
    good = _target(fake)
    sent = send_chats(
        [
            ChatCall(good, [{"role": "user", "content": "a"}]),
            ChatCall(bad, [{"role": "user", "content": "b"}]),
        ],
        concurrency=2,
        allow_link_local=False,
    )
    assert sent[0].error is None
    assert sent[1].error is not None and "no-such-model" in sent[1].error.message


def test_embeddings_go_in_batches_in_order(fake: FakeOpenAI) -> None:
    texts = ["a", "bb", "ccc", "dddd", "eeeee"]
    sent = send_embeds(
        _target(fake, "fake-embed"), texts, batch_size=2, concurrency=3, allow_link_local=False
    )
    vectors = [v for s in sent for v in s.result.vectors]  # type: ignore[union-attr]
    assert [v[0] for v in vectors] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert len(sent) == 3


def test_batched_splits_and_refuses_a_zero_size() -> None:
    assert list(batched(range(5), 2)) == [[0, 1], [2, 3], [4]]
    with pytest.raises(ValueError, match="at least 1"):
        list(batched([], 0))
