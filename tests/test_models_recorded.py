"""The demo's recorded-response model: a loopback OpenAI-protocol server answering from hh-rlhf (read
from the shared data folder, not copied) through the normal provider and ledger; a known prompt gets its
recorded reply, an unknown one a deterministic one; without the file, the task types' demo texts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from sqlalchemy import select

from quorum.db import Database
from quorum.models import AuditEvent, ModelCall
from quorum.providers import recorded, recorded_data, service

needs_hh_rlhf = pytest.mark.skipif(
    recorded_data.find_data() is None, reason="the shared hh-rlhf file is absent"
)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    url, stop = recorded.start_recorded_server()
    yield url
    stop()


@needs_hh_rlhf
def test_a_known_prompt_gets_its_recorded_replies_through_the_provider(
    database: Database, server: str
) -> None:
    first = recorded_data.load(recorded_data.find_data())[0]
    prompt = recorded_data.load_recorded_prompts(3)[0]
    assert prompt == list(first.messages) and prompt[-1]["role"] == "user"
    with database.session() as db:
        chosen, rejected = recorded.register_recorded_models(db, server)
        targets = [service.Target.of(chosen), service.Target.of(rejected)]
    # A generator's system prompt does not hide which recorded conversation it is.
    asked = [{"role": "system", "content": "Be helpful."}, *prompt]
    sent = [service.send_chat(t, asked, {"temperature": 0.7}, allow_link_local=False) for t in targets]
    with database.session() as db:
        outcomes = [service.record(db, s, purpose="candidate") for s in sent]
    replies = [o.unwrap() for o in outcomes]
    assert [r.text for r in replies] == [first.chosen, first.rejected]
    assert replies[0].raw_model == "hh-chosen-recorded" and replies[0].tokens_out > 0
    with database.session() as db:
        names = db.scalars(select(ModelCall.model_name).order_by(ModelCall.id)).all()
    assert names == ["recorded-hh-chosen", "recorded-hh-rejected"]


def test_an_unknown_prompt_gets_a_deterministic_recording_and_streams(server: str) -> None:
    client = openai.OpenAI(base_url=server, api_key="none", max_retries=0)
    ask = [{"role": "user", "content": "A question nobody recorded?"}]
    one = client.chat.completions.create(model="hh-rejected", messages=ask)  # type: ignore[arg-type]
    two = client.chat.completions.create(model="hh-rejected", messages=ask)  # type: ignore[arg-type]
    text = one.choices[0].message.content
    assert text and text == two.choices[0].message.content
    stream: Any = client.chat.completions.create(model="hh-rejected", messages=ask, stream=True)  # type: ignore[arg-type]
    pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
    assert len(pieces) > 1 and "".join(pieces) == text
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4", messages=ask)  # type: ignore[arg-type]


def test_registering_again_points_the_models_at_the_new_port(database: Database, server: str) -> None:
    with database.session() as db:
        recorded.register_recorded_models(db, "http://127.0.0.1:9/v1")
        again = recorded.register_recorded_models(db, server)
        assert [m.base_url for m in again] == [server, server]
        assert [m.name for m in service.list_models(db, None)] == list(recorded.MODEL_NAMES)
        actions = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["model.add", "model.add", "model.update", "model.update"]


def test_without_the_file_the_task_types_demo_texts_answer(tmp_path: Path) -> None:
    assert recorded_data.find_data(tmp_path / "absent.jsonl.gz") is None
    fallback = recorded_data.load(None)
    assert fallback and all(r.messages[-1]["role"] == "user" and r.chosen != r.rejected for r in fallback)
    url, stop = recorded.start_recorded_server(tmp_path / "absent.jsonl.gz")
    try:
        client = openai.OpenAI(base_url=url, api_key="none", max_retries=0)
        done = client.chat.completions.create(model="hh-chosen", messages=list(fallback[0].messages))  # type: ignore[arg-type]
    finally:
        stop()
    assert done.choices[0].message.content == fallback[0].chosen
    assert recorded_data.load_recorded_prompts(2, tmp_path / "absent.jsonl.gz") == [
        list(r.messages) for r in fallback[:2]
    ]
