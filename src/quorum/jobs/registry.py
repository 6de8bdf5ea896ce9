"""Job kinds and the context their bodies run with: progress, cancellation, and the unit of work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from quorum.blobs.store import BlobStore
from quorum.config import Settings
from quorum.db.types import utcnow
from quorum.errors import Invalid, field_error
from quorum.models import Job

BLOBS_INFO_KEY = "job_blobs"
SETTINGS_INFO_KEY = "job_settings"


class Cancelled(Exception):
    """Raised by ``JobContext.check_cancelled``; the runner turns it into status ``cancelled``."""


class Transient(Exception):
    """A failure worth retrying (a timeout, a busy service): the runner retries it with backoff."""


class JobContext:
    """What a job body gets besides its row. ``progress`` commits the body's session: a batch's writes
    and its progress land together, so a worker that dies loses at most the batch it was in (and on SQLite
    a second transaction could not write while the body's held the write lock)."""

    def __init__(self, db: Session, job: Job) -> None:
        self.db = db
        self.job_id = job.id

    @property
    def blobs(self) -> BlobStore:
        """Where a body leaves files for download (``jobs.queue.build_queue`` wires it in)."""
        store: BlobStore | None = self.db.info.get(BLOBS_INFO_KEY)
        if store is None:
            raise RuntimeError("no blob store is attached to this database")
        return store

    @property
    def settings(self) -> Settings:
        """The worker's settings (e.g. whether link-local model URLs are allowed)."""
        found: Settings | None = self.db.info.get(SETTINGS_INFO_KEY)
        if found is None:
            raise RuntimeError("no settings are attached to this database")
        return found

    def progress(self, done: int, total: int | None = None) -> None:
        values: dict[str, Any] = {"progress_done": done, "updated_at": utcnow()}
        if total is not None:
            values["progress_total"] = total
        self.db.execute(update(Job).where(Job.id == self.job_id).values(**values))
        self.db.commit()

    def check_cancelled(self) -> None:
        if self.db.scalar(select(Job.cancel_requested).where(Job.id == self.job_id)):
            raise Cancelled()


Handler = Callable[[JobContext, Job], dict[str, Any] | None]
_HANDLERS: dict[str, Handler] = {}


def register(kind: str) -> Callable[[Handler], Handler]:
    """``@register("export")`` makes a function the body of every job of that kind."""

    def decorate(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn

    return decorate


def handler_for(kind: str) -> Handler | None:
    return _HANDLERS.get(kind)


def require_kind(kind: str) -> None:
    if kind not in _HANDLERS:
        raise Invalid(
            f"no job kind {kind!r}", [field_error("kind", f"one of: {', '.join(sorted(_HANDLERS))}")]
        )
