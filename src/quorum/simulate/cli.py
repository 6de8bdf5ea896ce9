"""``quorum simulate PROJECT --annotators N --accuracy P [--seed S] [--url URL]``.

Without ``--url`` the API is served in this process on a free local port for the duration of the run, so
the simulated annotators still go through real HTTP.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Table

from quorum.cli_support import handle_errors, out, settings, unit_of_work
from quorum.errors import Invalid
from quorum.simulate.annotator import Behaviour, Outcome
from quorum.simulate.run import MAX_ANNOTATORS, prepare, run_crowd


@contextmanager
def local_server() -> Iterator[str]:
    import uvicorn

    from quorum.web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings()), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the local API server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def _table(outcomes: list[Outcome], accuracy: dict[str, float]) -> Table:
    table = Table(title="simulated annotators (every judgment below is simulated)")
    for column in ("annotator", "accuracy", "judgments", "skipped", "abandoned", "refused (409)", "errors"):
        table.add_column(column, justify="right" if column != "annotator" else "left")
    for o in outcomes:
        table.add_row(
            o.username,
            f"{accuracy[o.username]:.2f}",
            str(len(o.accepted)),
            str(o.skipped),
            str(o.abandoned),
            str(o.statuses.get(409, 0)),
            str(len(o.errors)),
        )
    return table


def simulate(
    project: Annotated[str, typer.Argument(help="Project name or id.")],
    annotators: Annotated[int, typer.Option("--annotators", "-n", help="How many simulated people.")] = 5,
    accuracy: Annotated[float, typer.Option(help="Mean accuracy where the true answer is known.")] = 0.8,
    seed: Annotated[int, typer.Option(help="Seed of the noise model and behaviour.")] = 0,
    url: Annotated[str, typer.Option(help="A running server; by default one is started here.")] = "",
    think: Annotated[float, typer.Option(help="Longest pause per item, in seconds.")] = 0.0,
    skip_rate: Annotated[float, typer.Option(help="Share of items skipped.")] = 0.0,
    max_tasks: Annotated[
        int, typer.Option(help="Stop each annotator after this many items (0: no limit).")
    ] = 0,
    anchoring: Annotated[
        float, typer.Option(help="Planted anchoring q: share of shown suggestions taken as they are.")
    ] = 0.0,
) -> None:
    """Work a project's queue with simulated annotators through the real API (their names start with
    ``sim-``, so their judgments are plainly labelled as simulated)."""
    if not 1 <= annotators <= MAX_ANNOTATORS:
        raise Invalid(f"--annotators must be between 1 and {MAX_ANNOTATORS}")
    if not 0.0 <= accuracy <= 1.0:
        raise Invalid("--accuracy must be between 0 and 1")
    if not 0.0 <= anchoring <= 1.0:
        raise Invalid("--anchoring must be between 0 and 1")
    with unit_of_work() as db:
        crowd = prepare(db, project, annotators, accuracy, seed)
    behaviour = Behaviour(
        think_seconds=(0.0, think),
        skip_rate=skip_rate,
        max_tasks=max_tasks or None,
        idle_stop_seconds=1.0,
        anchoring=anchoring,
    )
    if url:
        outcomes = run_crowd(url.rstrip("/"), crowd, behaviour, seed=seed)
    else:
        with local_server() as base:
            outcomes = run_crowd(base, crowd, behaviour, seed=seed)
    out.print(_table(outcomes, {a.username: a.accuracy for a in crowd.annotators}))
    total = sum(len(o.accepted) for o in outcomes)
    errors = [e for o in outcomes for e in o.errors]
    out.print(f"{total} simulated judgments in project {crowd.project_name!r}", markup=False)
    if errors:
        raise Invalid(f"{len(errors)} requests failed; first: {errors[0]}")


def register(app: typer.Typer) -> None:
    app.command("simulate")(handle_errors(simulate))
