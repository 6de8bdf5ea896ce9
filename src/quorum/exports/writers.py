"""Write export rows as JSON lines, Parquet or a Hugging Face ``datasets`` folder.

Parquet and ``datasets`` are built from the rows themselves, chunk by chunk (``exports/arrow.py``), with
the schema ``datasets.load_dataset("json")`` gives the same JSON lines, so they read back as the JSON lines
do; the Parquet file is written with the options ``Dataset.to_parquet`` uses, the folder by
``Dataset.save_to_disk`` over an Arrow file of the same chunks.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from quorum.core.json_text import dump_line
from quorum.exports.arrow import ArrowRows

OUTPUTS = ("jsonl", "parquet", "hf")


def _jsonl(rows: Iterable[dict[str, Any]], out: Path) -> int:
    count = 0
    with out.open("wb") as f:
        for row in rows:
            f.write(dump_line(row))
            count += 1
    return count


def _parquet(rows: Iterable[dict[str, Any]], out: Path) -> int:
    import datasets
    import pyarrow.parquet as pq
    from datasets.io.parquet import get_parquet_column_options

    arrow = ArrowRows()
    writer: pq.ParquetWriter | None = None
    count = 0
    try:
        for table in arrow.tables(rows):
            if writer is None:
                features, schema = arrow.features, table.schema
                cdc = datasets.config.DEFAULT_CDC_OPTIONS
                writer = pq.ParquetWriter(
                    out,
                    schema=schema,
                    use_content_defined_chunking=cdc,
                    write_page_index=True,
                    **get_parquet_column_options(features, schema),
                )
                writer.add_key_value_metadata({"content_defined_chunking": json.dumps(cdc)})
            writer.write_table(table)
            count += len(table)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        datasets.Dataset.from_list([]).to_parquet(str(out))
    return count


def _folder(rows: Iterable[dict[str, Any]], out: Path, scratch: Path) -> int:
    import datasets
    import pyarrow as pa

    arrow = ArrowRows()
    staged = scratch / "rows.arrow"
    sink: pa.ipc.RecordBatchStreamWriter | None = None
    count = 0
    try:
        for table in arrow.tables(rows):
            if sink is None:
                # The stream format ``datasets`` keeps in its cache: ``Dataset.from_file`` maps it.
                sink = pa.ipc.new_stream(str(staged), table.schema)
            sink.write_table(table)
            count += len(table)
    finally:
        if sink is not None:
            sink.close()
    if sink is None:
        datasets.Dataset.from_list([]).save_to_disk(str(out))
        return 0
    info = datasets.DatasetInfo(features=arrow.features)
    dataset = datasets.Dataset.from_file(str(staged), info=info, split=datasets.Split.TRAIN)
    dataset.save_to_disk(str(out))
    del dataset
    return count


def write(rows: Iterable[dict[str, Any]], out: Path, output: str) -> int:
    """Writes beside ``out`` and moves into place at the end, so a failure leaves no half export."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".quorum-export-", dir=out.parent) as tmp:
        target = Path(tmp) / "out"
        if output == "jsonl":
            count = _jsonl(rows, target)
        else:
            import datasets  # heavy: loaded only for these outputs

            datasets.disable_progress_bars()
            count = _parquet(rows, target) if output == "parquet" else _folder(rows, target, Path(tmp))
        if out.is_dir():
            shutil.rmtree(out)
        elif out.exists():
            out.unlink()
        shutil.move(str(target), out)
    return count
