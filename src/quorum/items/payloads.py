"""The one writer of item payloads. An item's payload holds its candidates' text; the ``candidates`` table
holds their provenance per position for queries across items (exports, the models' ranking). Both are
written here together, by the importer and by candidate generation alike, so neither ever names a model
the payload no longer holds. An item whose payload awaits its candidates has status ``awaiting`` and is
not served; once it has them it is ``open``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from quorum.core.search_text import search_text
from quorum.db import bulk
from quorum.models import Candidate, Item, Project

AWAITING = "awaiting"
OPEN = "open"


@dataclass
class ItemRow:
    """One item as written: a validated payload with its candidates' provenance rows."""

    number: int
    external_id: str
    payload: dict[str, Any]
    metadata: dict[str, Any]
    gold: Any
    priority: float
    candidates: list[dict[str, Any]]
    awaiting: bool = False


def same_prompt(item: Any, row: ItemRow) -> bool:
    """``item``: an ``Item`` or a plain row of its payload, meta, gold and priority. A messages-only row for an item that has since got its candidates (generated): the same item, so a
    re-import of the prompts keeps what generation built rather than emptying it again."""
    if not row.awaiting or (item.meta, item.gold, item.priority) != (row.metadata, row.gold, row.priority):
        return False
    return _without_candidates(item.payload) == _without_candidates(row.payload)


def _without_candidates(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != "candidates"}


def status_for(current: str | None, awaiting: bool) -> str:
    """The status a (re)written payload leaves its item in: complete and flagged items keep theirs."""
    if current in (None, OPEN, AWAITING):
        return AWAITING if awaiting else OPEN
    return current


def write_items(
    db: Session, project: Project, new: Sequence[ItemRow], changed: Sequence[tuple[Item, ItemRow]]
) -> list[int]:
    """Insert ``new`` and rewrite ``changed``, each payload with its candidates' rows; the new ids, in
    the order of ``new``."""
    ids: list[int] = []
    if new:
        # COPY on PostgreSQL, one executemany on SQLite (``db.bulk``): the bulk import's write path.
        ids = bulk.reserve_ids(db, Item, len(new))
        bulk.insert_rows(
            db,
            Item,
            [
                {
                    "id": ids[i],
                    "project_id": project.id,
                    "external_id": r.external_id,
                    "payload": r.payload,
                    "metadata": r.metadata,
                    "gold": r.gold,
                    "priority": r.priority,
                    "status": status_for(None, r.awaiting),
                    "search_text": search_text(r.payload),
                }
                for i, r in enumerate(new)
            ],
        )
    for item, row in changed:
        item.payload, item.meta, item.gold, item.priority = row.payload, row.metadata, row.gold, row.priority
        item.status = status_for(item.status, row.awaiting)
        item.search_text = search_text(row.payload)
    if changed:
        db.execute(delete(Candidate).where(Candidate.item_id.in_([item.id for item, _ in changed])))
    pairs = [*zip(ids, new, strict=True), *((item.id, row) for item, row in changed)]
    candidates = [{"item_id": item_id, **c} for item_id, row in pairs for c in row.candidates]
    bulk.insert_rows(db, Candidate, candidates)
    return ids


def ids_by_external_id(db: Session, project_id: int, external_ids: Sequence[str]) -> dict[str, int]:
    """The ids of the project's items with these external ids (unique in a project)."""
    return dict(
        db.execute(
            select(Item.external_id, Item.id).where(
                Item.project_id == project_id, Item.external_id.in_(external_ids)
            )
        ).all()
    )
