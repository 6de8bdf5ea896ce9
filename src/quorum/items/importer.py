"""Import items from a file: every row validated against the task type; any bad row rejects the whole file.

One pass: rows are written in batches while the file is valid; after the first bad row the rest is only
validated, and the caller's transaction rolls everything back when ``Invalid`` is raised.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum import audit
from quorum.config import DEFAULT_MAX_FIELD_BYTES
from quorum.core.critique_comments import FLAWS_KEY, flaw_problems
from quorum.db import bulk
from quorum.errors import Invalid, QuorumError
from quorum.items import search_jobs
from quorum.items.payloads import ItemRow, NewItems, same_prompt, write_items
from quorum.items.readers import Format, RowError, detect_format, read_rows
from quorum.models import Item, Project, User
from quorum.task_types import registry
from quorum.task_types.base import AnswerT, ConfigT, PayloadT, TaskType

BATCH = 1000
MAX_REPORTED = 200
# Created rows from which an import refreshes the planner's statistics (``bulk.analyze``): its cost
# (about 0.1 s) is bounded by the sample, and below this a stale estimate costs less than that.
ANALYZE_AFTER = 10 * BATCH
ROW_KEYS = {"external_id", "payload", "metadata", "gold", "priority"}


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "total": self.total,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


def _fail(number: int, field: str, msg: str) -> dict[str, Any]:
    return {"row": number, "field": field, "msg": msg}


def _validate(
    kind: TaskType[ConfigT, PayloadT, AnswerT], config: ConfigT, number: int, raw: dict[str, Any]
) -> ItemRow | list[dict[str, Any]]:
    if unknown := raw.keys() - ROW_KEYS:
        return [
            _fail(number, k, "unknown field; an item row has external_id, payload, metadata, gold, priority")
            for k in sorted(unknown)
        ]
    if "payload" not in raw:
        return [_fail(number, "payload", "required")]
    try:
        payload = kind.parse_payload(raw["payload"], config)
        gold = None if raw.get("gold") is None else kind.parse_answer(raw["gold"], payload, config)
    except QuorumError as exc:
        details = exc.details if isinstance(exc.details, list) else [{"field": "", "msg": exc.message}]
        if "gold" in raw and any(str(d.get("field", "")).startswith("answer") for d in details):
            details = [{**d, "field": "gold" + str(d["field"]).removeprefix("answer")} for d in details]
        return [_fail(number, d.get("field", ""), d["msg"]) for d in details]
    metadata = raw.get("metadata") or {}
    if not isinstance(metadata, dict):
        return [_fail(number, "metadata", "must be a JSON object")]
    if FLAWS_KEY in metadata:
        responses = [r.response for r in kind.critiqued_responses(payload.model_dump(mode="json"))]
        if flaws := flaw_problems(metadata[FLAWS_KEY], responses):
            return [_fail(number, f"metadata.{FLAWS_KEY}{at}", msg) for at, msg in flaws]
    priority = raw.get("priority", 0.0)
    if isinstance(priority, bool) or not isinstance(priority, int | float):
        return [_fail(number, "priority", "must be a number")]
    payload_json = payload.model_dump(mode="json", exclude_none=True)
    external_id = raw.get("external_id")
    if external_id is None or external_id == "":
        # No id given: the content names the item, so importing the same file twice is still idempotent.
        digest = hashlib.sha256(json.dumps(payload_json, sort_keys=True).encode()).hexdigest()
        external_id = "sha256:" + digest[:32]
    elif isinstance(external_id, bool) or not isinstance(external_id, str | int):
        return [_fail(number, "external_id", "must be a string")]
    external_id = str(external_id)
    if len(external_id) > 200:
        return [_fail(number, "external_id", "must be at most 200 characters")]
    return ItemRow(
        number=number,
        external_id=external_id,
        payload=payload_json,
        metadata=metadata,
        gold=gold.model_dump(mode="json", exclude_none=True) if gold is not None else None,
        priority=float(priority),
        candidates=kind.candidate_rows(payload),
        awaiting=kind.awaits_candidates(payload_json),
    )


class _Writer:
    def __init__(self, db: Session, project: Project, report: ImportReport) -> None:
        self.db, self.project, self.report = db, project, report
        self.batch: list[ItemRow] = []
        # A project with no items yet gets only new ones (the file's own repeats are refused before
        # here), so no batch needs the lookup, whose plan PostgreSQL would make from an empty table's
        # statistics: the import's own rows stay invisible to autovacuum until the commit.
        empty = db.scalar(select(Item.id).where(Item.project_id == project.id).limit(1)) is None
        self.new_items = NewItems(db, project) if empty else None

    def add(self, row: ItemRow) -> list[dict[str, Any]]:
        self.batch.append(row)
        return self.flush() if len(self.batch) >= BATCH else []

    def flush(self) -> list[dict[str, Any]]:
        batch, self.batch = self.batch, []
        if not batch:
            return []
        if self.new_items is not None:
            self.new_items.add(batch)
            self.report.created += len(batch)
            return []
        # Plain rows, not ORM objects: a re-import compares every row and changes few.
        existing = {
            r.external_id: r
            for r in self.db.execute(
                select(
                    Item.id,
                    Item.external_id,
                    Item.payload,
                    Item.meta,
                    Item.gold,
                    Item.priority,
                    Item.judgment_count,
                ).where(
                    Item.project_id == self.project.id,
                    bulk.among(self.db, Item.external_id, [r.external_id for r in batch]),
                )
            )
        }
        errors: list[dict[str, Any]] = []
        new: list[ItemRow] = []
        changed_rows: dict[int, ItemRow] = {}
        for row in batch:
            item = existing.get(row.external_id)
            if item is None:
                new.append(row)
            elif (item.payload, item.meta, item.gold, item.priority) == (
                row.payload,
                row.metadata,
                row.gold,
                row.priority,
            ) or same_prompt(item, row):
                self.report.unchanged += 1
            elif item.judgment_count > 0 and (item.payload != row.payload or item.gold != row.gold):
                errors.append(
                    _fail(
                        row.number,
                        "payload",
                        f"item {row.external_id!r} already has judgments; its payload and gold are fixed",
                    )
                )
            else:
                changed_rows[item.id] = row
        changed = (
            [
                (item, changed_rows[item.id])
                for item in self.db.scalars(select(Item).where(Item.id.in_(changed_rows)))
            ]
            if changed_rows and not errors
            else []
        )
        if not errors:
            write_items(self.db, self.project, new, changed)
            self.report.created += len(new)
            self.report.updated += len(changed_rows)
        return errors

    def close(self) -> None:
        if self.new_items is not None:
            self.new_items.close()

    def abort(self, exc: BaseException | None) -> None:
        if self.new_items is not None:
            self.new_items.abort(exc)


def import_file(
    db: Session,
    actor: User | None,
    project: Project,
    path: Path,
    fmt: str | None = None,
    *,
    max_field_bytes: int = DEFAULT_MAX_FIELD_BYTES,
) -> ImportReport:
    file_format: Format = detect_format(path, fmt)
    return import_rows(db, actor, project, read_rows(path, file_format, max_field_bytes=max_field_bytes))


def import_rows(
    db: Session,
    actor: User | None,
    project: Project,
    rows: Iterable[tuple[int, dict[str, Any] | RowError]],
    *,
    action: str = "items.import",
) -> ImportReport:
    """Numbered item rows (from a file's reader, or made by a service such as synthetic prompts), each
    validated against the task type; any bad row rejects them all."""
    kind = registry.get(project.task_type)
    config = kind.parse_config(project.config)
    report = ImportReport()
    writer = _Writer(db, project, report)
    try:
        _write_all(kind, config, rows, writer, report)
        writer.close()
    except QuorumError:
        # A refused file leaves the transaction usable, as before: the caller rolls it back, or a job
        # records the refusal in it first.
        writer.abort(None)
        raise
    except BaseException as exc:
        writer.abort(exc)
        raise
    if report.created >= ANALYZE_AFTER:
        # external_id too: without its statistics the next import's lookup of a batch's 1,000 ids
        # (``bulk.among``) was planned as a scan of the whole table, so a re-import right after a large
        # import ran quadratic (1M items: past 10 minutes on PostgreSQL, 74 s on SQLite).
        bulk.analyze(db, Item, "project_id", "status", "external_id", "search_pending")
    if report.created:
        search_jobs.index_soon(db, project, actor)
    audit.record(db, actor, action, "project", project.id, project_id=project.id, data=report.as_dict())
    return report


def _write_all(
    kind: TaskType[Any, Any, Any],
    config: Any,
    rows: Iterable[tuple[int, dict[str, Any] | RowError]],
    writer: _Writer,
    report: ImportReport,
) -> None:
    errors: list[dict[str, Any]] = []
    n_bad_rows = 0
    seen: set[str] = set()
    for number, raw in rows:
        report.total += 1
        row_errors: list[dict[str, Any]]
        if isinstance(raw, RowError):
            row_errors = [_fail(number, raw.field, raw.msg)]
        else:
            result = _validate(kind, config, number, raw)
            if isinstance(result, list):
                row_errors = result
            elif result.external_id in seen:
                row_errors = [
                    _fail(number, "external_id", f"{result.external_id!r} appears twice in the file")
                ]
            else:
                seen.add(result.external_id)
                row_errors = [] if errors else writer.add(result)
        if row_errors:
            n_bad_rows += 1
            errors.extend(row_errors[: max(0, MAX_REPORTED - len(errors))])
    if not errors:
        errors = writer.flush()
        n_bad_rows = len({e["row"] for e in errors})
    if errors:
        raise Invalid(
            f"{n_bad_rows} of {report.total} rows are invalid; nothing was imported "
            f"(first: row {errors[0]['row']}, {errors[0]['field'] or 'row'}: {errors[0]['msg']})",
            errors,
        )
    if report.total == 0:
        raise Invalid("the file holds no rows", [{"row": 0, "field": "", "msg": "empty file"}])
