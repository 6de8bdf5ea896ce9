from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from quorum.cli_support import fail, handle_errors
from quorum.generation import service
from quorum.generation.spec import parse_request
from quorum.jobs.cli import submit_and_follow


@handle_errors
def generate(
    project: Annotated[str, typer.Argument(help="Project id or name.")],
    model: Annotated[
        list[str], typer.Option("--model", help="A registered model's name; repeat for several.")
    ],
    samples: Annotated[int, typer.Option(help="Samples per model and item.")] = 1,
    pairing: Annotated[
        str | None, typer.Option(help="all_pairs, random_pairs or model_vs_model (pairwise); kset (ranking).")
    ] = None,
    items: Annotated[str, typer.Option(help="awaiting (items without candidates) or all.")] = "awaiting",
    params: Annotated[
        str | None, typer.Option(help="Shared sampling params as JSON, e.g. '{\"temperature\": 0.7}'.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Base seed; sample i is sent seed + i.")] = 0,
    owner: Annotated[
        str | None, typer.Option(help="The job's owner (default: the project's creator).")
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Show progress; exit 0 if the job succeeded, 1 if not.")
    ] = False,
) -> None:
    """Generate candidates for a project's items as a background job; prints the job id."""
    request: dict[str, Any] = {"models": model, "samples": samples, "items": items, "seed": seed}
    if pairing is not None:
        request["pairing"] = pairing
    if params is not None:
        try:
            request["params"] = json.loads(params)
        except json.JSONDecodeError as exc:
            raise fail(f"--params is not JSON: {exc}") from None
    parsed = parse_request(request)
    submit_and_follow(project, owner, wait, lambda db, who, found: service.submit(db, who, found, parsed))


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)
