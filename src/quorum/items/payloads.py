"""The one writer of item payloads. An item's payload holds its candidates' text; the ``candidates`` table
holds their provenance per position for queries across items (exports, the models' ranking). Both are
written here together, by the importer and by candidate generation alike, so neither ever names a model
the payload no longer holds. An item whose payload awaits its candidates has status ``awaiting`` and is
not served; once it has them it is ``open``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

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


def same_prompt(item: Item, row: ItemRow) -> bool:
    """A messages-only row for an item that has since got its candidates (generated): the same item, so a
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
        ids = list(
            db.scalars(
                insert(Item).returning(Item.id, sort_by_parameter_order=True),
                [
                    {
                        "project_id": project.id,
                        "external_id": r.external_id,
                        "payload": r.payload,
                        "meta": r.metadata,
                        "gold": r.gold,
                        "priority": r.priority,
                        "status": status_for(None, r.awaiting),
                    }
                    for r in new
                ],
            ).all()
        )
    for item, row in changed:
        item.payload, item.meta, item.gold, item.priority = row.payload, row.metadata, row.gold, row.priority
        item.status = status_for(item.status, row.awaiting)
    if changed:
        db.execute(delete(Candidate).where(Candidate.item_id.in_([item.id for item, _ in changed])))
    pairs = [*zip(ids, new, strict=True), *((item.id, row) for item, row in changed)]
    candidates = [{"item_id": item_id, **c} for item_id, row in pairs for c in row.candidates]
    if candidates:
        db.execute(insert(Candidate), candidates)
    return ids
