"""``quorum model add|list|test|delete`` in-process against a local OpenAI-protocol server, on both
databases: the operator registers a model, sees it listed without its key, tests it (exit 0 with the
reply, exit 1 with an error naming the model), and the URL rules hold here as in the API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from cli_runner import Quorum, quorum_command
from fake_openai import KEY, FakeOpenAI, Step, closed_port_url, fake_openai
from quorum.db import Database
from quorum.models import ModelCall, ModelEndpoint


@pytest.fixture
def quorum(monkeypatch: pytest.MonkeyPatch, database: Database, tmp_path: Path) -> Quorum:
    return quorum_command(monkeypatch, database.url, tmp_path)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    monkeypatch.setenv("QUORUM_CLI_MODEL_KEY", KEY)
    with fake_openai() as server:
        yield server


def test_add_list_test_and_delete(quorum: Quorum, fake: FakeOpenAI, database: Database) -> None:
    added = quorum(
        "model", "add", "local", "--base-url", fake.url, "--model", "fake-chat",
        "--api-key-env", "QUORUM_CLI_MODEL_KEY", "--params", '{"temperature": 0.1}',
        "--concurrency", "2", "--rpm", "120", "--price-in", "0.5", "--price-out", "1.5",
    )  # fmt: skip
    assert "model local registered" in added.stderr
    listed = quorum("model", "list")
    assert (
        "local" in listed.stdout and "fake-chat" in listed.stdout and "QUORUM_CLI_MODEL_KEY" in listed.stdout
    )
    assert KEY not in listed.stdout + listed.stderr

    fake.script = [Step(text="all good")]
    tested = quorum("model", "test", "local")
    assert tested.stdout.strip() == "all good"
    assert "fake-chat-2026-01-01" in tested.stderr and "tokens in" in tested.stderr and " ms" in tested.stderr
    assert fake.requests[-1]["body"]["temperature"] == 0.1

    quorum("model", "delete", "local")
    assert "local" not in quorum("model", "list").stdout
    with database.session() as db:
        assert [c.purpose for c in db.scalars(select(ModelCall))] == ["test"]


def test_a_failing_model_exits_1_naming_it_and_is_recorded(
    quorum: Quorum, fake: FakeOpenAI, database: Database
) -> None:
    quorum("model", "add", "down", "--base-url", closed_port_url(), "--model", "fake-chat")
    failed = quorum("model", "test", "down", ok=False)
    assert failed.returncode == 1 and "model 'down': cannot reach" in failed.stderr
    quorum("model", "add", "nokey", "--base-url", fake.url, "--model", "fake-chat")
    refused = quorum("model", "test", "nokey", ok=False)
    assert (
        refused.returncode == 1
        and "model 'nokey'" in refused.stderr
        and "refused the API key" in refused.stderr
    )
    with database.session() as db:
        errors = [
            (c.model_name, c.error is not None) for c in db.scalars(select(ModelCall).order_by(ModelCall.id))
        ]
    assert errors == [("down", True), ("nokey", True)]


def test_unsafe_urls_and_bad_options_are_refused(
    quorum: Quorum, fake: FakeOpenAI, database: Database
) -> None:
    meta = quorum("model", "add", "m", "--base-url", "http://169.254.169.254/v1", "--model", "x", ok=False)
    assert meta.returncode == 2 and "link-local or metadata address 169.254.169.254" in meta.stderr
    ftp = quorum("model", "add", "m", "--base-url", "ftp://127.0.0.1/", "--model", "x", ok=False)
    assert ftp.returncode == 2 and "http or https" in ftp.stderr
    params = quorum("model", "add", "m", "--base-url", fake.url, "--model", "x", "--params", "[1]", ok=False)
    assert params.returncode == 2 and "JSON object" in params.stderr
    assert quorum("model", "test", "nothing", ok=False).returncode == 2
    with database.session() as db:
        assert db.scalars(select(ModelEndpoint)).all() == []
