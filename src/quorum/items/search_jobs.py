"""The ``items_search_index`` job: index the items written since the search index last caught up (above
SQLite's mark, PostgreSQL's pending ones: ``db/text_index.py``), so that a bulk import does not pay for
the trigram index inside its transaction.
Submitted after an import once ``INDEX_AFTER`` items wait, one pending job per database; until it has
run the newer items are searched with ``LIKE`` and found all the same (under ``INDEX_AFTER`` of them cost
a search next to nothing)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from quorum.db import text_index
from quorum.jobs import service as jobs
from quorum.jobs.registry import JobContext, register
from quorum.models import Job, Project, User

KIND = "items_search_index"
INDEX_AFTER = 1000


def index_soon(db: Session, project: Project, actor: User | None) -> None:
    """After a write that created items: submit the job when ``INDEX_AFTER`` items wait, unless one is
    pending (or nothing runs jobs here: a bare script's items stay searched by ``LIKE`` until a later
    import's job indexes them)."""
    owner_id = actor.id if actor is not None else project.created_by_id
    if owner_id is None or not jobs.has_queue(db):
        return
    if not text_index.unindexed_at_least(db, INDEX_AFTER):
        return
    jobs.submit_once(db, KIND, KIND, owner_id=owner_id, project_id=project.id, params={})


def summary(result: dict[str, Any]) -> str:
    return f"indexed {result.get('indexed', 0)} items for search"


@register(KIND, label="Search index", summary=summary)
def run_index(ctx: JobContext, job: Job) -> dict[str, Any]:
    # Idempotent: a rerun starts from what the last committed chunk left.
    indexed = text_index.catch_up(ctx.db, commit=ctx.progress)
    return {"indexed": indexed}
