"""The one writer of item payloads. An item's payload holds its candidates' text; its
``candidate_provenance`` their provenance per position for queries across items (exports, the models'
ranking). Both are written here together, by the importer and by candidate generation alike, so neither
ever names a model the payload no longer holds. An item whose payload awaits its candidates has status
``awaiting`` and is not served; once it has them it is ``open``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.core.search_text import search_text
from quorum.db import bulk
from quorum.db.dialect import is_postgresql
from quorum.models import Item, Project

AWAITING = "awaiting"
OPEN = "open"


@dataclass(slots=True)
class ItemRow:
    """One item as written: a validated payload with its candidates' provenance, position by position."""

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
    """Insert ``new`` and rewrite ``changed``, each payload with its candidates' provenance; the new ids, in
    the order of ``new``."""
    ids: list[int] = []
    if new:
        # COPY on PostgreSQL, one executemany on SQLite (``db.bulk``): the bulk import's write path.
        ids = bulk.reserve_ids(db, Item, len(new))
        bulk.insert_rows(db, Item, map(partial(_item_values, project.id), ids, new))
    for item, row in changed:
        item.payload, item.meta, item.gold, item.priority = row.payload, row.metadata, row.gold, row.priority
        item.candidate_provenance = row.candidates
        item.status = status_for(item.status, row.awaiting)
        item.search_text = search_text(row.payload)
    return ids


def _item_values(project_id: int, item_id: int, row: ItemRow) -> dict[str, Any]:
    return {
        "id": item_id,
        "project_id": project_id,
        "external_id": row.external_id,
        "payload": row.payload,
        "metadata": row.metadata,
        "gold": row.gold,
        "priority": row.priority,
        "candidate_provenance": row.candidates,
        "status": status_for(None, row.awaiting),
        "search_text": search_text(row.payload),
    }


class NewItems:
    """``write_items`` for batch after batch of new items only (an import into a project that had none).

    On PostgreSQL the items go through one ``COPY`` kept open across batches (``bulk.CopyStream``), so the
    server applies a batch while the importer validates the next. The connection can serve no other query
    while it is open, so the ``COPY`` pauses at the end of each block of reserved ids (blocks doubling up
    to ``BLOCK_MAX``) while the next block's ids are reserved. All of it in the caller's transaction. On
    SQLite each batch is one ``write_items``. Call ``close`` at the end, or ``abort`` on a failure."""

    def __init__(self, db: Session, project: Project) -> None:
        self.db, self.project = db, project
        self.streaming = is_postgresql(db)
        self._ids: list[int] = []
        self._block = 0
        self._items: bulk.CopyStream | None = None

    def add(self, rows: Sequence[ItemRow]) -> None:
        if not self.streaming:
            write_items(self.db, self.project, rows, [])
            return
        ids = self._take(len(rows))
        if self._items is None:
            self._items = bulk.CopyStream(self.db, Item, list(_item_values(0, 0, rows[0])))
        self._items.write(map(partial(_item_values, self.project.id), ids, rows))

    def close(self) -> None:
        self._end_block()

    def abort(self, exc: BaseException | None) -> None:
        """Stop: ``exc`` aborts the open ``COPY`` and with it the transaction; with ``None`` the ``COPY``
        ends and the transaction stays usable, holding the items written so far (the caller rolls it
        back)."""
        if self._items is not None:
            items, self._items = self._items, None
            items.close(exc)

    def _take(self, n: int) -> list[int]:
        if len(self._ids) < n:
            self._end_block()
            self._block = min(max(self._block * 2, n), BLOCK_MAX)
            self._ids.extend(bulk.reserve_ids(self.db, Item, max(self._block, n - len(self._ids))))
        ids, self._ids = self._ids[:n], self._ids[n:]
        return ids

    def _end_block(self) -> None:
        if self._items is not None:
            items, self._items = self._items, None
            items.close()


# The most item ids reserved at once: the most an import leaves unused in the sequence.
BLOCK_MAX = 16_384


def ids_by_external_id(db: Session, project_id: int, external_ids: Sequence[str]) -> dict[str, int]:
    """The ids of the project's items with these external ids (unique in a project)."""
    return dict(
        db.execute(
            select(Item.external_id, Item.id).where(
                Item.project_id == project_id, Item.external_id.in_(external_ids)
            )
        ).all()
    )
