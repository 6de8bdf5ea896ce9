"""Write export lines as JSON lines, Parquet or a Hugging Face ``datasets`` folder.

Parquet and ``datasets`` go through the same JSON lines on disk first and then ``datasets``' own JSON
loader, the path users take themselves: it infers one schema over the whole file (rows whose nested
objects differ in keys still load) and converts without holding the rows in memory.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

OUTPUTS = ("jsonl", "parquet", "hf")


def _jsonl(lines: Iterable[bytes], out: Path) -> int:
    count = 0
    with out.open("wb") as f:
        for line in lines:
            f.write(line)
            count += 1
    return count


def write(lines: Iterable[bytes], out: Path, output: str) -> int:
    """Writes beside ``out`` and moves into place at the end, so a failure leaves no half export."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".quorum-export-", dir=out.parent) as tmp:
        staged = Path(tmp) / "rows.jsonl"
        count = _jsonl(lines, staged)
        if output == "jsonl":
            staged.replace(out)
            return count
        import datasets  # heavy: loaded only for these outputs

        datasets.disable_progress_bars()
        if count == 0:
            dataset = datasets.Dataset.from_list([])
        else:
            dataset = datasets.load_dataset(
                "json", data_files=str(staged), split="train", cache_dir=str(Path(tmp) / "cache")
            )
        target = Path(tmp) / "out"
        if output == "parquet":
            dataset.to_parquet(str(target))
        else:
            dataset.save_to_disk(str(target))
        del dataset
        if out.is_dir():
            shutil.rmtree(out)
        elif out.exists():
            out.unlink()
        shutil.move(str(target), out)
    return count
