"""Every format of every task type loads with the library it is meant for: JSON lines and Parquet through
`datasets.load_dataset`, the `--hf` folder through `Dataset.load_from_disk`."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pytest

from factories import person
from quorum.accounts import service as accounts
from quorum.assignments import service as loop
from quorum.db import Database
from quorum.exports.service import ExportOptions, export_to_file, formats
from quorum.items import importer
from quorum.projects import service as projects
from quorum.task_types import registry

TYPES = [kind.name for kind in registry.all_types()]


def _annotated_project(database: Database, tmp_path: Path, name: str) -> int:
    kind = registry.get(name)
    example = kind.example()
    people = [person(database, f"{name}-{i}") for i in range(2)]
    with database.session() as db:
        project = projects.create_project(
            db, None, name=name, task_type=name, config=example["config"], overlap=2
        )
        for p in people:
            projects.add_member(db, None, project, accounts.get_user(db, p.username), "annotator")
        path = tmp_path / "items.jsonl"
        path.write_text(json.dumps(example["item"]) + "\n")
        importer.import_file(db, None, project, path)
        project_id = project.id
    for p, answer in zip(people, (example["answer"], example["answer"]), strict=True):
        with database.session() as db:
            user = accounts.get_user(db, p.username)
            claimed = loop.next_task(db, user, project_id)
            assert claimed is not None
            loop.submit(db, user, claimed[0].id, answer, 1500)
    return project_id


@pytest.mark.parametrize("name", TYPES)
def test_every_format_loads(database: Database, tmp_path: Path, name: str) -> None:
    project_id = _annotated_project(database, tmp_path, name)
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


def test_dpo_rows_are_what_trl_reads(database: Database, tmp_path: Path) -> None:
    project_id = _annotated_project(database, tmp_path, "pairwise")
    with database.session() as db:
        project = projects.find_project(db, project_id)
        export_to_file(db, None, project, "dpo", tmp_path / "dpo", output="hf")
    row = datasets.Dataset.load_from_disk(str(tmp_path / "dpo"))[0]
    assert row["prompt"][0]["role"] == "user"
    assert row["chosen"] == [{"role": "assistant", "content": row["chosen"][0]["content"]}]
    assert row["rejected"][0]["role"] == "assistant"
    assert row["provenance"]["candidate_models"] == ["model-a", "model-b"]
    assert row["provenance"]["annotators"] == ["pairwise-0", "pairwise-1"]


def test_pseudonyms_hide_usernames_stably(database: Database, tmp_path: Path) -> None:
    project_id = _annotated_project(database, tmp_path, "classification")
    with database.session() as db:
        project = projects.find_project(db, project_id)
        options = ExportOptions(pseudonym_salt="salt")
        export_to_file(db, None, project, "jsonl", tmp_path / "a.jsonl", options=options)
        export_to_file(db, None, project, "jsonl", tmp_path / "b.jsonl", options=options)
    text = (tmp_path / "a.jsonl").read_text()
    assert "classification-0" not in text
    assert "annotator-" in text
    assert text == (tmp_path / "b.jsonl").read_text()
