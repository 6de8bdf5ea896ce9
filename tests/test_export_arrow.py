"""Parquet and the ``datasets`` folder built from the rows read back as the JSON lines did through
``datasets.load_dataset("json")`` (the way they were written before): the same features and the same
records, on rows that take every path of the loader's schema inference. One difference, on purpose: the
floats inside ``Json`` fields keep all their digits, where the loader kept 10 decimals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import datasets
import orjson
import pyarrow.parquet as pq
import pytest

from quorum.core.json_text import dump_line
from quorum.exports import arrow
from quorum.exports.writers import write


def _rows(n: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        rows.append(
            {
                "external_id": f"é-{i}\u2028\"'\\",
                # Objects whose keys differ from row to row, and empty ones: Json in the loader.
                "params": {} if i % 3 == 0 else {f"k{i % 4}": i / 7, "nested": {"deep": [i, None]}},
                "candidates": [{"model": "m", "params": {"t": 0.7}}, {"model": None, "params": {}}],
                # Same keys everywhere: a struct; a float that JSON text rounds badly; -0.0 and 1e-7.
                "answer": {"choice": "A" if i % 2 else "B", "score": [-0.0, 1e-7, 0.1 + 0.2][i % 3]},
                # A list in some rows, a string in others: Arrow's reader finds the change, Json too.
                "mixed": [1, 2] if i % 5 else "text",
                # A number in some rows, a string in others: only Arrow's reader sees it change (Json too).
                "number_or_text": i if i % 3 else "three",
                # A string that reads as JSON in a Json field is kept as it is, as the loader does.
                "metadata": {"a": 1} if i % 2 else "[1, 2]",
                "maybe": None if i % 2 else "text",
                "tags": [] if i % 4 else ["x", "y"],
                "count": i,
            }
        )
        if i < 5:
            rows[-1]["early"] = {"only": "in the first rows"}
    return rows


def _rounded(value: Any) -> Any:
    """Floats to 10 decimals: the loader wrote the values of ``Json`` fields with pandas' ujson, which keeps
    10 (1/7 became 0.1428571429), and reads them back with ujson's own imprecise float reading."""
    if isinstance(value, float):
        return round(value, 10)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _through_json_lines(rows: list[dict[str, Any]], tmp_path: Path, chunksize: int) -> datasets.Dataset:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b"".join(dump_line(row) for row in rows))
    return datasets.load_dataset(
        "json",
        data_files=str(path),
        split="train",
        cache_dir=str(tmp_path / "cache"),
        chunksize=chunksize,
    )


@pytest.mark.parametrize("chunk", [arrow.CHUNK, 4096])
def test_parquet_and_folder_read_back_as_the_json_loader_reads_the_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """At 4 KB a chunk the later chunks are cast to the first one's schema, without the column that only
    the first rows have."""
    monkeypatch.setattr(arrow, "CHUNK", chunk)
    rows = _rows(60)
    expected = _through_json_lines(rows, tmp_path, chunk)
    assert write(rows, tmp_path / "out.parquet", "parquet") == len(rows)
    assert write(rows, tmp_path / "out-hf", "hf") == len(rows)
    from_parquet = datasets.Dataset.from_parquet(
        str(tmp_path / "out.parquet"), cache_dir=str(tmp_path / "c2")
    )
    from_disk = datasets.Dataset.load_from_disk(str(tmp_path / "out-hf"))
    assert isinstance(expected.features["params"], datasets.Json)
    assert isinstance(expected.features["mixed"], datasets.Json)
    assert isinstance(expected.features["number_or_text"], datasets.Json)
    for loaded in (from_parquet, from_disk):
        assert loaded.features == expected.features
        assert _rounded(loaded.to_list()) == _rounded(expected.to_list())
    # The JSON text stored for a Json field is the value itself, every digit kept.
    stored = pq.read_table(tmp_path / "out.parquet").column("params").to_pylist()
    assert [orjson.loads(text) for text in stored] == [row["params"] for row in rows]
    assert from_disk.split == "train"


def test_no_rows_write_an_empty_dataset(tmp_path: Path) -> None:
    assert write([], tmp_path / "empty.parquet", "parquet") == 0
    assert write([], tmp_path / "empty-hf", "hf") == 0
    assert pq.read_table(tmp_path / "empty.parquet").num_rows == 0
    assert (tmp_path / "empty-hf" / "dataset_info.json").exists()


@pytest.mark.parametrize(
    "late", [{"a": 1, "b": 2}, {"a": "text"}], ids=["a new column", "a value where the first had nulls"]
)
def test_what_the_first_chunk_cannot_hold_is_refused_as_the_loader_refuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, late: dict[str, Any]
) -> None:
    monkeypatch.setattr(arrow, "CHUNK", 100)
    first: list[dict[str, Any]] = [{"a": i if "b" in late else None} for i in range(40)]
    rows = [*first, late]
    with pytest.raises(datasets.exceptions.DatasetGenerationError):
        _through_json_lines(rows, tmp_path, 100)
    with pytest.raises((TypeError, ValueError)):
        write(rows, tmp_path / "out.parquet", "parquet")
    assert not (tmp_path / "out.parquet").exists()
