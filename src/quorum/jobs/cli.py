from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.accounts.access import find_project
from quorum.cli_support import database, err, fail, handle_errors, out, print_details, settings, unit_of_work
from quorum.jobs import service
from quorum.jobs import worker as workers
from quorum.jobs.queue import build_queue
from quorum.jobs.runner import FINISHED, SUCCEEDED
from quorum.models import Job, Project, User

jobs = typer.Typer(help="Follow and cancel background jobs.", no_args_is_help=True)
POLL_S = 0.2


def _admin() -> User:
    """Whoever runs the CLI holds the database's own authority, as an admin (like ``quorum export``); this
    user is never saved."""
    return User(id=0, username="cli", is_admin=True)


def _line(job: Job) -> str:
    total = f"/{job.progress_total}" if job.progress_total is not None else ""
    tail = f"  {job.error}" if job.error else ""
    return f"{job.id}\t{job.kind}\t{job.status}\t{job.progress_done}{total}{tail}"


@jobs.command("list")
@handle_errors
def list_jobs(
    project: Annotated[str | None, typer.Option(help="Only this project's jobs (id or name).")] = None,
    status: Annotated[str | None, typer.Option(help="todo, doing, succeeded, failed or cancelled.")] = None,
) -> None:
    """Jobs, newest first: id, kind, status, progress."""
    with unit_of_work() as db:
        found = find_project(db, project) if project is not None else None
        for job in service.list_jobs(db, _admin(), project=found, status=status):
            out.print(_line(job), markup=False)


@jobs.command("show")
@handle_errors
def show(job_id: Annotated[int, typer.Argument(help="The job's id.")]) -> None:
    """One job as JSON."""
    with unit_of_work() as db:
        out.print_json(data=service.job_view(service.get_job(db, _admin(), job_id)))


@jobs.command("cancel")
@handle_errors
def cancel(job_id: Annotated[int, typer.Argument(help="The job's id.")]) -> None:
    """Cancel a job: at once if it has not started, at its next batch if it runs."""
    with unit_of_work() as db:
        job = service.cancel_job(db, _admin(), job_id)
        out.print(f"job {job.id}: {job.status}{' (cancel requested)' if job.status != 'cancelled' else ''}")


@jobs.command("wait")
@handle_errors
def wait(job_id: Annotated[int, typer.Argument(help="The job's id.")]) -> None:
    """Show the job's progress until it ends; exit 0 when it succeeded, 1 when it failed or was cancelled."""
    follow(job_id)


def job_owner(db: Session, project: Project, username: str | None) -> User:
    """A job's owner: ``--owner``, else whoever created the project, else the first active admin."""
    if username is not None:
        found = db.scalar(select(User).where(User.username == username))
        if found is None:
            raise fail(f"no user {username!r}")
        return found
    creator = db.get(User, project.created_by_id) if project.created_by_id is not None else None
    if creator is not None:
        return creator
    admin = db.scalar(select(User).where(User.is_admin.is_(True), User.is_active.is_(True)).order_by(User.id))
    if admin is None:
        raise fail("the job needs an owner: pass --owner USERNAME")
    return admin


def submit_and_follow(
    project: str, owner: str | None, wait: bool, submit: Callable[[Session, User, Project], Job]
) -> None:
    """What every job-submitting command does: ``submit`` the job in one unit of work as its owner (see
    ``job_owner``), print its id, and with ``--wait`` follow it to its end."""
    db_handle = database()
    try:
        build_queue(settings(), db_handle)
        with db_handle.session() as db:
            found = find_project(db, project)
            job_id = submit(db, job_owner(db, found, owner), found).id
    finally:
        db_handle.dispose()
    out.print(str(job_id), markup=False)
    if wait:
        follow(job_id)


def follow(job_id: int) -> None:
    """A Rich progress bar until the job ends, then its line; ``typer.Exit(1)`` unless it succeeded."""
    db_handle = database()
    try:
        with Progress(
            TextColumn("job {task.fields[job]} {task.fields[status]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
        ) as bar:
            task = bar.add_task("job", total=None, job=job_id, status="…")
            while True:
                with db_handle.session() as db:
                    job = service.get_job(db, _admin(), job_id)
                bar.update(task, completed=job.progress_done, total=job.progress_total, status=job.status)
                if job.status in FINISHED:
                    break
                time.sleep(POLL_S)
    finally:
        db_handle.dispose()
    out.print(_line(job), markup=False)
    if job.status != SUCCEEDED:
        # A refused job (an import's bad rows) keeps the refusal's details in its result.
        refusal = job.result.get("error") if isinstance(job.result, dict) else None
        print_details(refusal.get("details") if isinstance(refusal, dict) else None)
        raise typer.Exit(1)


@handle_errors
def worker(
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Worker threads.")] = 2,
) -> None:
    """Run jobs from the configured queue (SQLite file in the data dir, or Redis) until interrupted."""
    db_handle = database()
    try:
        consumer = workers.consumer(settings(), db_handle, workers=concurrency)
        err.print(f"worker: {concurrency} thread(s) on the job queue; Ctrl-C stops", markup=False)
        consumer.run()
    finally:
        db_handle.dispose()
