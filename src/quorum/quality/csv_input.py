"""Streaming readers for the quality tools' three-column CSV files.

The first line is a header whose names vary between sources (``question,worker,answer``,
``id,worker,answer``...), so columns are taken by position and the header's names are ignored.
Rows are read one at a time into integer arrays (never a list of rows or a DataFrame). The first bad
row stops reading with ``Invalid``, whose details name the row - its line number in the file, the
header being line 1 - and the field. Blank lines are skipped; fields are stripped of surrounding
whitespace.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from quorum.core.aggregation.encoding import Encoded, Encoder
from quorum.core.agreement import Level, Ratings
from quorum.errors import Invalid

ANSWER_FIELDS = ("question", "worker", "answer")
RATING_FIELDS = ("item", "rater", "value")


def row_error(row: int, field: str | None, msg: str) -> Invalid:
    where = f"row {row}" + (f", field {field!r}" if field else "")
    return Invalid(f"{where}: {msg}", details=[{"row": row, "field": field, "msg": msg}])


def _undecodable_line(path: Path) -> int:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 1


def read_rows(path: Path, fields: tuple[str, ...]) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(row number, fields)`` for each data row after checking the header's width."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        seen_header = False
        try:
            for record in reader:
                row = reader.line_num
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue
                if len(record) != len(fields):
                    msg = f"expected {len(fields)} columns ({','.join(fields)}), found {len(record)}"
                    raise row_error(row, None, msg)
                if not seen_header:
                    seen_header = True
                    continue
                values = [value.strip() for value in record]
                for name, value in zip(fields, values, strict=True):
                    if not value:
                        raise row_error(row, name, "empty value")
                yield row, values
        except UnicodeDecodeError as exc:
            # Text is decoded in blocks ahead of the parser, so find the offending line afresh.
            raise row_error(_undecodable_line(path), None, f"not UTF-8 text ({exc.reason})") from exc
        except csv.Error as exc:
            raise row_error(reader.line_num, None, f"malformed CSV ({exc})") from exc
        if not seen_header:
            raise row_error(1, None, f"empty file: expected a header line and rows of {','.join(fields)}")


def read_answers(path: Path) -> Encoded:
    """``question,worker,answer`` rows, integer-coded; repeated (question, worker) pairs keep the
    last answer (see ``quorum.core.aggregation.encoding``)."""
    encoder = Encoder()
    n_rows = 0
    for _, (question, worker, answer) in read_rows(path, ANSWER_FIELDS):
        encoder.add(question, worker, answer)
        n_rows += 1
    if n_rows == 0:
        raise row_error(2, None, "no answers after the header")
    return encoder.finish()


@dataclass(frozen=True)
class RatingsFile:
    """Ratings read from a file, with the names behind the codes."""

    ratings: Ratings
    item_names: list[str]
    rater_names: list[str]
    value_names: list[str]


def _check_number(row: int, text: str, level: Level) -> None:
    try:
        number = float(text)
    except ValueError:
        raise row_error(row, "value", f"{text!r} is not a number ({level} level needs numbers)") from None
    if not math.isfinite(number):
        raise row_error(row, "value", f"{text!r} is not a finite number")
    if level == "ratio" and number < 0:
        raise row_error(row, "value", f"{text!r} is negative (ratio level needs values >= 0)")


def read_ratings(path: Path, level: Level) -> RatingsFile:
    """``item,rater,value`` rows. Nominal values are labels (any text); the other levels need finite
    numbers (non-negative for ratio). A rater's repeated value for an item keeps the last one."""
    encoder = Encoder()
    n_rows = 0
    for row, (item, rater, value) in read_rows(path, RATING_FIELDS):
        if level != "nominal":
            _check_number(row, value, level)
        encoder.add(item, rater, value)
        n_rows += 1
    if n_rows == 0:
        raise row_error(2, None, "no ratings after the header")
    coded = encoder.finish()
    if level == "nominal":
        values = coded.labels.astype(np.float64)
    else:
        values = np.array([float(name) for name in coded.label_names])[coded.labels]
    ratings = Ratings.from_codes(coded.tasks, coded.workers, values, coded.n_tasks, coded.n_workers)
    # The encoder already kept the last of repeated values; report how many it dropped.
    ratings = replace(ratings, n_duplicates=coded.n_duplicates)
    return RatingsFile(ratings, coded.task_names, coded.worker_names, coded.label_names)
