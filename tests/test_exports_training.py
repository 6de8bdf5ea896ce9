"""Every format of every task type loads with the library it is meant for: JSON lines and Parquet through
`datasets.load_dataset`, the `--hf` folder through `Dataset.load_from_disk`."""

from __future__ import annotations

import json
from pathlib import Path

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


def test_dpo_rows_are_what_trl_reads(client: TestClient, database: Database, tmp_path: Path) -> None:
    project_id = _annotated_project(client, database, "pairwise")
    with database.session() as db:
        project = projects.find_project(db, project_id)
        export_to_file(db, None, project, "dpo", tmp_path / "dpo", output="hf")
    row = datasets.Dataset.load_from_disk(str(tmp_path / "dpo"))[0]
    assert row["prompt"][0]["role"] == "user"
    assert row["chosen"] == [{"role": "assistant", "content": row["chosen"][0]["content"]}]
    assert row["rejected"][0]["role"] == "assistant"
    assert row["provenance"]["candidate_models"] == ["model-a", "model-b"]
    assert row["provenance"]["annotators"] == ["pairwise-0", "pairwise-1"]


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
