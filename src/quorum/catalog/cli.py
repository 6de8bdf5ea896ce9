"""``quorum types``: the task-type catalogue, generated from the registry."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from quorum.catalog.markdown import catalogue
from quorum.cli_support import handle_errors, out
from quorum.task_types import registry
from quorum.task_types.describe import describe

types = typer.Typer(help="The registered task types.", invoke_without_command=True)


@types.callback()
def list_types(ctx: typer.Context) -> None:
    """List the registered task types."""
    if ctx.invoked_subcommand is not None:
        return
    table = Table("type", "description", "exports")
    for kind in registry.all_types():
        table.add_row(kind.name, kind.description, ", ".join(describe(kind)["exports"]))
    out.print(table)


@types.command("docs")
def docs() -> None:
    """Print the catalogue as markdown (docs/task-types.md)."""
    print(catalogue(), end="")


@types.command("show")
@handle_errors
def show(
    name: str, as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False
) -> None:
    """Show a type's config, payload and answer schemas, with an example of each."""
    info = describe(registry.get(name))
    if as_json:
        print(json.dumps(info, indent=2))
        return
    out.print(f"[bold]{info['name']}[/]: {info['description']}")
    for key in ("config_schema", "payload_schema", "answer_schema"):
        out.print(f"\n[bold]{key.replace('_', ' ')}[/]")
        out.print_json(json.dumps(info[key]))
    out.print("\n[bold]example[/]")
    out.print_json(json.dumps(info["example"]))
