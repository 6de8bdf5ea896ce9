"""Keyed, checkpointed batch runs for any batch work over many items (the ``embed`` job's pattern, for
scoring and the like): batch ``i`` of run ``key`` is written, checkpointed and committed together, so a
rerun under the same key skips the batches already done and never writes one twice. The caller must build
the same batches for the same key (e.g. a key naming the model version, batches of sorted item ids)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from quorum.db.dialect import insert_unless_conflict
from quorum.db.types import utcnow
from quorum.errors import Invalid, field_error
from quorum.executors import Executor
from quorum.executors.inprocess import InProcess
from quorum.models import BatchCheckpoint

B = TypeVar("B")
R = TypeVar("R")
KEY_MAX = 200


class Context(Protocol):
    """What a batch run reports to: ``jobs.registry.JobContext`` in a job (``progress`` commits),
    ``Unjobbed`` outside one."""

    db: Session

    def progress(self, done: int, total: int | None = None) -> None: ...

    def check_cancelled(self) -> None: ...


class Unjobbed:
    """A batch run outside any job (a CLI command, a test): progress flushes, the caller's unit of work
    commits, and nothing cancels it."""

    def __init__(self, db: Session) -> None:
        self.db = db

    def progress(self, done: int, total: int | None = None) -> None:
        self.db.flush()

    def check_cancelled(self) -> None:
        return None


def settle(ctx: Context, done: int, total: int | None = None) -> None:
    """After a batch: its writes and progress committed (in a job), then the cancel check, then no
    transaction left open while the next batch runs (on SQLite even a read holds off the writer that
    cancels). A cancel raised here loses nothing: the batch before it is committed."""
    ctx.progress(done, total)
    ctx.check_cancelled()
    if not isinstance(ctx, Unjobbed):
        ctx.db.commit()


@dataclass(frozen=True)
class RunStats:
    key: str
    batches: int
    skipped: int
    """Batches a previous run under the key had already done."""
    ran: int


def done_batches(db: Session, key: str) -> set[int]:
    return set(db.scalars(select(BatchCheckpoint.batch).where(BatchCheckpoint.key == key)))


def forget(db: Session, key: str) -> None:
    """Drop a key's checkpoints (its next run does every batch again)."""
    db.execute(delete(BatchCheckpoint).where(BatchCheckpoint.key == key))


def run_batches(
    ctx: Context,
    key: str,
    batches: Sequence[B],
    fn: Callable[[B], R],
    executor: Executor | None = None,
    *,
    write: Callable[[Session, int, R], Any],
    project_id: int | None = None,
    job_id: int | None = None,
) -> RunStats:
    """``fn`` over the batches not yet done under ``key`` (through ``executor``, in this process by
    default); each result goes to ``write(db, index, result)`` and its checkpoint in the same unit of work.
    Progress counts batches; cancellation is checked after each batch is written, before the next is
    asked for."""
    if not key or len(key) > KEY_MAX:
        raise Invalid("invalid batch run key", [field_error("key", f"1 to {KEY_MAX} characters")])
    done = done_batches(ctx.db, key)
    pending = [i for i in range(len(batches)) if i not in done]
    skipped = len(batches) - len(pending)
    settle(ctx, skipped, len(batches))
    runner = executor or InProcess()
    finished = skipped
    for index, result in zip(pending, runner.map_batches(fn, (batches[i] for i in pending)), strict=True):
        write(ctx.db, index, result)
        ctx.db.execute(
            insert_unless_conflict(ctx.db, BatchCheckpoint),
            [{"key": key, "batch": index, "project_id": project_id, "job_id": job_id, "done_at": utcnow()}],
        )
        finished += 1
        settle(ctx, finished, len(batches))
    return RunStats(key=key, batches=len(batches), skipped=skipped, ran=len(pending))
