"""Stream export rows in batches of items; nothing holds the whole project in memory."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum import audit
from quorum.errors import Invalid
from quorum.models import Candidate, Item, Judgment, Project, User
from quorum.task_types import registry
from quorum.task_types.base import CandidateInfo, ExportItem, JudgmentRecord

BATCH = 500
GENERIC = "jsonl"


def formats(project: Project) -> list[str]:
    return [GENERIC, *registry.get(project.task_type).exports()]


def check_format(project: Project, fmt: str) -> None:
    if fmt not in formats(project):
        raise Invalid(
            f"format {fmt!r} is not offered by {project.task_type!r}; use one of {', '.join(formats(project))}",
            [{"loc": ["format"], "field": "format", "msg": "unknown format"}],
        )


def _batches(db: Session, project: Project, only_judged: bool) -> Iterator[list[ExportItem]]:
    after = 0
    while True:
        query = select(Item).where(Item.project_id == project.id, Item.id > after)
        if only_judged:
            query = query.where(Item.judgment_count > 0)
        items = list(db.scalars(query.order_by(Item.id).limit(BATCH)))
        if not items:
            return
        after = items[-1].id
        ids = [i.id for i in items]
        judgments: dict[int, list[JudgmentRecord]] = defaultdict(list)
        for j, username in db.execute(
            select(Judgment, User.username)
            .join(User, User.id == Judgment.user_id)
            .where(Judgment.item_id.in_(ids))
            .order_by(Judgment.id)
        ):
            judgments[j.item_id].append(
                JudgmentRecord(username, j.answer, j.time_spent_ms, j.guideline_version, j.created_at)
            )
        candidates: dict[int, list[CandidateInfo]] = defaultdict(list)
        for c in db.scalars(select(Candidate).where(Candidate.item_id.in_(ids)).order_by(Candidate.position)):
            candidates[c.item_id].append(CandidateInfo(c.position, c.model, c.provider, c.params))
        yield [ExportItem(i.external_id, i.payload, i.meta, judgments[i.id], candidates[i.id]) for i in items]
        db.expunge_all()


def _generic_row(item: ExportItem, consensus: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "external_id": item.external_id,
        "payload": item.payload,
        "metadata": item.metadata,
        "candidates": [
            {"position": c.position, "model": c.model, "provider": c.provider, "params": c.params}
            for c in item.candidates
        ],
        "judgments": [
            {
                "annotator": j.annotator,
                "answer": j.answer,
                "time_spent_ms": j.time_spent_ms,
                "guideline_version": j.guideline_version,
                "created_at": j.created_at.isoformat(),
            }
            for j in item.judgments
        ],
        "consensus": consensus,
    }


def rows(db: Session, project: Project, fmt: str) -> Iterator[dict[str, Any]]:
    check_format(project, fmt)
    kind = registry.get(project.task_type)
    config = kind.parse_config(project.config)
    writer = kind.exports().get(fmt)
    for batch in _batches(db, project, only_judged=writer is not None):
        for item in batch:
            consensus = kind.consensus([j.answer for j in item.judgments], config)
            if writer is None:
                summary = (
                    None
                    if consensus.answer is None
                    else {
                        "answer": consensus.answer,
                        "confidence": consensus.confidence,
                        "method": consensus.method,
                        "n_judgments": consensus.n_judgments,
                    }
                )
                yield _generic_row(item, summary)
            else:
                yield from writer(item, config, consensus)


def lines(db: Session, project: Project, fmt: str) -> Iterator[str]:
    for row in rows(db, project, fmt):
        yield json.dumps(row, ensure_ascii=False) + "\n"


def export_to_file(db: Session, actor: User | None, project: Project, fmt: str, out: Path) -> int:
    """Writes to a temporary file beside ``out`` and renames it, so a failed export leaves no half file."""
    check_format(project, fmt)
    tmp = out.with_name(out.name + ".part")
    count = 0
    try:
        with tmp.open("w", encoding="utf-8") as f:
            for line in lines(db, project, fmt):
                f.write(line)
                count += 1
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    audit.record(
        db,
        actor,
        "export",
        "project",
        project.id,
        project_id=project.id,
        data={"format": fmt, "rows": count, "out": str(out)},
    )
    return count
