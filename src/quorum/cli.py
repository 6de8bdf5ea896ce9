"""The ``quorum`` command: a Typer root that gathers each domain's commands."""

from __future__ import annotations

from typing import Annotated

import typer

from quorum.accounts.cli import tokens, users
from quorum.assistance import cli as assistance_cli
from quorum.catalog.cli import types
from quorum.cli_support import database, err, handle_errors, out, require_migrated, settings
from quorum.config import Settings
from quorum.critiques import cli as critiques_cli
from quorum.db import migrate
from quorum.demo.seed import sample_project, seed, seed_generation
from quorum.exports import cli as exports_cli
from quorum.generation import cli as generation_cli
from quorum.items import cli as items_cli
from quorum.jobs import cli as jobs_cli
from quorum.jobs.queue import build_queue
from quorum.judges import cli as judges_cli
from quorum.projects.cli import projects
from quorum.providers.cli import models
from quorum.providers.recorded import MODEL_NAMES, register_recorded_models, start_recorded_server
from quorum.providers.recorded_data import find_data
from quorum.quality import cli as quality_cli
from quorum.reward import cli as reward_cli
from quorum.simulate import cli as simulate_cli
from quorum.suggestions import cli as suggestions_cli
from quorum.synthetic import cli as synthetic_cli

app = typer.Typer(
    help="Quorum: human data for training and aligning language models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users, name="user")
app.add_typer(tokens, name="token")
app.add_typer(projects, name="project")
app.add_typer(types, name="types")
app.add_typer(jobs_cli.jobs, name="jobs")
app.command("worker")(jobs_cli.worker)
app.add_typer(models, name="model")
items_cli.register(app)
exports_cli.register(app)
generation_cli.register(app)
critiques_cli.register(app)
quality_cli.register(app)
simulate_cli.register(app)
synthetic_cli.register(app)
suggestions_cli.register(app)
assistance_cli.register(app)
reward_cli.register(app)
judges_cli.register(app)


@db_app.command("upgrade")
@handle_errors
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Migrate the database (creates the SQLite file if needed)."""
    database_ = database(create=True)
    migrate.upgrade(database_.engine, revision)
    err.print(f"database at revision {migrate.current_revision(database_.engine)}", markup=False)
    database_.dispose()


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision."""
    database_ = database()
    print(migrate.current_revision(database_.engine) or "empty")
    database_.dispose()


def _serve(host: str, port: int, workers: int = 1, *, with_worker: bool = False) -> None:
    config = settings()
    database_ = database()
    try:
        require_migrated(database_)
    finally:
        database_.dispose()
    if not with_worker:
        _run_server(config, host, port, workers)
        return
    # The embedded worker: threads of this process over the same queue the app enqueues into.
    from quorum.jobs import worker

    worker_database = database()
    consumer = worker.consumer(config, worker_database, workers=EMBEDDED_WORKERS)
    consumer.start()
    try:
        _run_server(config, host, port, workers)
    finally:
        consumer.stop(graceful=True)
        worker_database.dispose()


EMBEDDED_WORKERS = 2


def _run_server(config: Settings, host: str, port: int, workers: int) -> None:
    # Imported here so that short commands do not pay for loading the web stack.
    import uvicorn

    from quorum.web.app import create_app

    if workers > 1:
        # Each worker process builds its own app from the same environment settings.
        uvicorn.run(
            "quorum.web.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            proxy_headers=False,
            log_level="info",
            timeout_keep_alive=config.keep_alive_seconds,
            timeout_graceful_shutdown=10,
        )
        return
    uvicorn.run(
        create_app(config),
        host=host,
        port=port,
        # The app reads X-Forwarded-For itself, from QUORUM_TRUSTED_PROXIES only (web/clients.py).
        proxy_headers=False,
        log_level="info",
        timeout_keep_alive=config.keep_alive_seconds,
        timeout_graceful_shutdown=10,
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (use about one per core).")] = 1,
    with_worker: Annotated[
        bool, typer.Option("--with-worker", help="Also run background jobs in this process (2 threads).")
    ] = False,
) -> None:
    """Serve the API and pages (the database must be migrated)."""
    _serve(host, port, workers, with_worker=with_worker)


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Migrate, seed the demo (once) and serve it."""
    database_ = database(create=True)
    migrate.upgrade(database_.engine)
    # Loopback, in a thread of this process: generation in the demo needs no key and no network.
    recorded_url, _stop = start_recorded_server(settings().recorded_data)
    # The demo's own queue (the embedded worker's): the generation job below is sent when its unit commits.
    build_queue(settings(), database_)
    with database_.session() as session:
        logins = seed(session)
        register_recorded_models(session, recorded_url)
        job = seed_generation(session, settings().recorded_data)
        generating = job.id if job is not None else None
        sample = sample_project(session)
    database_.dispose()
    base = f"http://{host}:{port}"
    out.print(f"\n[bold]Quorum demo[/] on {base}  (database: {settings().resolved_database_url()})")
    out.print(
        f"Recorded-response models {', '.join(MODEL_NAMES)} answer at {recorded_url} from "
        f"{find_data(settings().recorded_data) or 'the task types demo comparisons'} (recorded, not live).",
        markup=False,
    )
    if generating is not None:
        out.print(f"Generating the demo's comparisons with them: job {generating}.", markup=False)
    out.print(
        f"Open [bold]{base}/login[/] and log in as [bold]alice[/] (annotator), [bold]rita[/] (reviewer), "
        f"[bold]manager[/] or [bold]admin[/]; every demo password is [bold]{logins[0].password}[/]."
    )
    out.print("API tokens made just now:")
    for login in logins:
        out.print(f"  {login.username:<8} {login.role:<9} {login.token}", markup=False)
    annotator = next(login for login in logins if login.role == "annotator")
    reviewer = next(login for login in logins if login.role == "reviewer")
    pid, name = sample
    out.print(f"\nThe commands below use project {pid}, {name!r}.", markup=False)
    out.print("Try the annotator loop (the next item for alice):", markup=False)
    out.print(
        f"  curl -s -X POST -H 'Authorization: Bearer {annotator.token}' {base}/api/v1/projects/{pid}/next",
        markup=False,
    )
    out.print("Then the review queue (judgments sampled for rita to review):", markup=False)
    out.print(
        f"  curl -s -H 'Authorization: Bearer {reviewer.token}' {base}/api/v1/projects/{pid}/reviews/queue",
        markup=False,
    )
    out.print(f"API reference: {base}/openapi.json   Ctrl-C stops the server.\n", markup=False)
    _serve(host, port, with_worker=True)


def main() -> None:
    app()
