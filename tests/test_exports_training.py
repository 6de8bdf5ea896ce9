"""Every format of every task type loads with the library it is meant for: JSON lines and Parquet through
`datasets.load_dataset`, the `--hf` folder through `Dataset.load_from_disk`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import datasets
import pytest
from fastapi.testclient import TestClient

from factories import as_shown, import_rows, person
from quorum.accounts import service as accounts
from quorum.db import Database
from quorum.exports.service import ExportOptions, export_to_file, formats
from quorum.projects import service as projects
from quorum.task_types import registry

TYPES = [kind.name for kind in registry.all_types()]


def _annotated_project(client: TestClient, database: Database, name: str) -> int:
    """The type's example item, imported and annotated by two people through the HTTP API."""
    kind = registry.get(name)
    example = kind.example()
    admin = person(database, f"{name}-admin", admin=True)
    people = [person(database, f"{name}-{i}") for i in range(2)]
    with database.session() as db:
        project = projects.create_project(
            db, None, name=name, task_type=name, config=example["config"], overlap=2
        )
        for p in people:
            projects.add_member(db, None, project, accounts.get_user(db, p.username), "annotator")
        project_id = project.id
    import_rows(client, admin, project_id, [example["item"]])
    for p in people:
        task = client.post(f"/api/v1/projects/{project_id}/next", headers=p.headers)
        assert task.status_code == 200, task.text
        assignment = task.json()["assignment"]
        submitted = client.post(
            f"/api/v1/assignments/{assignment['id']}/submit",
            json={"answer": as_shown(assignment, name, example["answer"]), "time_spent_ms": 1500},
            headers=p.headers,
        )
        assert submitted.status_code == 201, submitted.text
    return project_id


@pytest.mark.parametrize("name", TYPES)
def test_every_format_loads(client: TestClient, database: Database, tmp_path: Path, name: str) -> None:
    project_id = _annotated_project(client, database, name)
    with database.session() as db:
        project = projects.find_project(db, project_id)
        for fmt in formats(project):
            jsonl, parquet, folder = (
                tmp_path / f"{fmt}.jsonl",
                tmp_path / f"{fmt}.parquet",
                tmp_path / f"{fmt}-hf",
            )
            n = export_to_file(db, None, project, fmt, jsonl)
            assert n >= 1, fmt
            first = json.loads(jsonl.read_text().splitlines()[0])
            export_to_file(db, None, project, fmt, parquet, output="parquet")
            export_to_file(db, None, project, fmt, folder, output="hf")
            from_json = datasets.load_dataset(
                "json", data_files=str(jsonl), split="train", cache_dir=str(tmp_path / "cache")
            )
            from_parquet = datasets.Dataset.from_parquet(str(parquet), cache_dir=str(tmp_path / "cache"))
            from_disk = datasets.Dataset.load_from_disk(str(folder))
            for loaded in (from_json, from_parquet, from_disk):
                assert loaded.num_rows == n, fmt
                assert set(loaded.column_names) == set(first), fmt
            assert from_disk[0]["provenance" if fmt != "jsonl" else "judgments"]


# What TRL's trainers read, written out because TRL itself is too big a dependency for the test suite.
# DPOTrainer's conversational preference format: ``prompt`` is a list of chat messages that does not end in
# an assistant turn, ``chosen`` and ``rejected`` are lists of exactly one assistant message each. SFTTrainer's
# conversational language-modelling format: ``messages`` is a list of chat messages ending in an assistant
# turn. A message is ``{"role", "content"}`` with string values; both trainers apply the tokenizer's chat
# template to them, which reads exactly these two keys.
ROLES = {"system", "user", "assistant", "tool"}
MESSAGES = datasets.List({"role": datasets.Value("string"), "content": datasets.Value("string")})
TRL_COLUMNS = {"dpo": ("prompt", "chosen", "rejected"), "sft": ("messages",)}


def _message_errors(messages: object, where: str) -> list[str]:
    if not isinstance(messages, list) or not messages:
        return [f"{where}: not a non-empty list of messages"]
    errors = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            errors.append(f"{where}[{i}]: not a message")
        elif message.get("role") not in ROLES:
            errors.append(f"{where}[{i}]: role {message.get('role')!r}")
        elif not isinstance(message.get("content"), str):
            errors.append(f"{where}[{i}]: content is not text")
    return errors


def trl_errors(row: dict[str, Any], trainer: str) -> list[str]:
    """Why TRL's ``trainer`` (``dpo`` or ``sft``) could not train on ``row``; empty when it can."""
    if trainer == "sft":
        errors = _message_errors(row.get("messages"), "messages")
        if not errors and row["messages"][-1]["role"] != "assistant":
            errors.append("messages: the last turn is not the assistant's")
        return errors
    errors = _message_errors(row.get("prompt"), "prompt")
    if not errors and row["prompt"][-1]["role"] == "assistant":
        errors.append("prompt: ends in an assistant turn")
    for key in ("chosen", "rejected"):
        found = _message_errors(row.get(key), key)
        if not found and [m["role"] for m in row[key]] != ["assistant"]:
            found.append(f"{key}: not exactly one assistant message")
        errors += found
    return errors


@pytest.mark.parametrize(
    ("name", "fmt", "trainer"),
    [("pairwise", "dpo", "dpo"), ("ranking", "pairs", "dpo"), ("sft", "sft", "sft")],
)
def test_training_rows_are_what_trl_reads(
    client: TestClient, database: Database, tmp_path: Path, name: str, fmt: str, trainer: str
) -> None:
    project_id = _annotated_project(client, database, name)
    path = tmp_path / f"{fmt}.jsonl"
    with database.session() as db:
        assert export_to_file(db, None, projects.find_project(db, project_id), fmt, path) >= 1
    # Loaded the way a training script loads it, so the column types are those the trainer receives.
    loaded = datasets.load_dataset(
        "json", data_files=str(path), split="train", cache_dir=str(tmp_path / "cache")
    )
    for column in TRL_COLUMNS[trainer]:
        assert loaded.features[column] == MESSAGES, column
    for row in loaded:
        assert trl_errors(row, trainer) == [], row
    if name == "pairwise":
        row = loaded[0]
        assert row["provenance"]["candidate_models"] == ["model-a", "model-b"]
        assert row["provenance"]["annotators"] == ["pairwise-0", "pairwise-1"]


USER = {"role": "user", "content": "Hi"}
REPLY = {"role": "assistant", "content": "Hello"}


@pytest.mark.parametrize(
    ("trainer", "row", "error"),
    [
        ("dpo", {"prompt": [USER], "chosen": "Hello", "rejected": [REPLY]}, "chosen: not a non-empty list"),
        (
            "dpo",
            {"prompt": [USER], "chosen": [USER], "rejected": [REPLY]},
            "chosen: not exactly one assistant",
        ),
        ("dpo", {"prompt": [USER], "chosen": [REPLY, REPLY], "rejected": [REPLY]}, "chosen: not exactly one"),
        (
            "dpo",
            {"prompt": [USER, REPLY], "chosen": [REPLY], "rejected": [REPLY]},
            "prompt: ends in an assistant",
        ),
        ("dpo", {"prompt": [USER], "chosen": [REPLY]}, "rejected: not a non-empty list"),
        (
            "dpo",
            {"prompt": [{"role": "human", "content": "Hi"}], "chosen": [REPLY], "rejected": [REPLY]},
            "role",
        ),
        ("sft", {"messages": [REPLY, USER]}, "messages: the last turn is not the assistant's"),
        ("sft", {"messages": [USER, {"role": "assistant", "content": None}]}, "content is not text"),
        ("sft", {"prompt": [USER], "completion": [REPLY]}, "messages: not a non-empty list"),
    ],
)
def test_the_trl_check_rejects_broken_rows(trainer: str, row: dict[str, Any], error: str) -> None:
    assert any(error in found for found in trl_errors(row, trainer)), trl_errors(row, trainer)
    good = {
        "dpo": {"prompt": [USER], "chosen": [REPLY], "rejected": [REPLY]},
        "sft": {"messages": [USER, REPLY]},
    }
    assert trl_errors(good[trainer], trainer) == []


def test_pseudonyms_hide_usernames_stably(client: TestClient, database: Database, tmp_path: Path) -> None:
    project_id = _annotated_project(client, database, "classification")
    with database.session() as db:
        project = projects.find_project(db, project_id)
        options = ExportOptions(pseudonym_salt="salt")
        export_to_file(db, None, project, "jsonl", tmp_path / "a.jsonl", options=options)
        export_to_file(db, None, project, "jsonl", tmp_path / "b.jsonl", options=options)
    text = (tmp_path / "a.jsonl").read_text()
    assert "classification-0" not in text
    assert "annotator-" in text
    assert text == (tmp_path / "b.jsonl").read_text()
