"""Job kinds and the context their bodies run with: progress, cancellation, and the unit of work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from quorum.blobs.store import BlobStore
from quorum.config import Settings
from quorum.db.types import utcnow
from quorum.errors import Invalid, field_error
from quorum.models import Job, Project

BLOBS_INFO_KEY = "job_blobs"
QUEUE_INFO_KEY = "job_queue"
SETTINGS_INFO_KEY = "job_settings"


class Cancelled(Exception):
    """Raised by ``JobContext.check_cancelled``; the runner turns it into status ``cancelled``."""


class Transient(Exception):
    """A failure worth retrying (a timeout, a busy service): the runner retries it with backoff."""


def blob_store(db: Session) -> BlobStore:
    """The job blob store attached to ``db`` by ``jobs.queue.build_queue``: a job's files, in and out."""
    store: BlobStore | None = db.info.get(BLOBS_INFO_KEY)
    if store is None:
        raise RuntimeError("no blob store is attached to this database")
    return store


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
        return blob_store(self.db)

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
# Checks a ``POST /api/v1/jobs`` request's params for the project (raising ``Invalid``), returns those to store.
ParamsCheck = Callable[[Project, dict[str, Any]], dict[str, Any]]
# The key of a kind that keeps one pending job per key (``jobs.service.submit_once``).
DedupeKey = Callable[[Project, dict[str, Any]], str]
# One line of text about a succeeded job's result, for the jobs page and ``quorum jobs``.
Summary = Callable[[dict[str, Any]], str]


@dataclass(frozen=True)
class Kind:
    handler: Handler
    check: ParamsCheck | None = None
    key: DedupeKey | None = None
    label: str = ""
    summary: Summary | None = None


_KINDS: dict[str, Kind] = {}


def register(
    kind: str,
    *,
    check: ParamsCheck | None = None,
    key: DedupeKey | None = None,
    label: str = "",
    summary: Summary | None = None,
) -> Callable[[Handler], Handler]:
    """``@register("export")`` makes a function the body of every job of that kind. With ``check`` the
    kind may be submitted through ``POST /api/v1/jobs``; with ``key`` one job per key is pending at a time;
    ``label`` and ``summary`` say what the job is and what it made, in words."""

    def decorate(fn: Handler) -> Handler:
        _KINDS[kind] = Kind(fn, check, key, label or kind, summary)
        return fn

    return decorate


def handler_for(kind: str) -> Handler | None:
    found = _KINDS.get(kind)
    return found.handler if found else None


def describe(kind: str, result: dict[str, Any] | None) -> tuple[str, str | None]:
    """A job's label and the summary of its result (None before it succeeded or when the kind has none)."""
    found = _KINDS.get(kind)
    if found is None:
        return kind, None
    summary = found.summary(result) if found.summary is not None and result else None
    return found.label, summary


def require_kind(kind: str) -> None:
    if kind not in _KINDS:
        raise Invalid(f"no job kind {kind!r}", [field_error("kind", f"one of: {', '.join(sorted(_KINDS))}")])


def submittable(kind: str) -> Kind:
    """A kind ``POST /api/v1/jobs`` accepts, or ``Invalid`` naming ``kind``."""
    found = _KINDS.get(kind)
    if found is None or found.check is None:
        names = sorted(name for name, k in _KINDS.items() if k.check is not None)
        raise Invalid(
            f"no job kind {kind!r} can be submitted",
            [field_error("kind", f"one of: {', '.join(names)}", at="body")],
        )
    return found
