from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from quorum.accounts import service as accounts
from quorum.accounts.access import find_project
from quorum.cli_support import fail, handle_errors, out, read_json_file, unit_of_work
from quorum.items.service import counts_by_status
from quorum.projects import service

projects = typer.Typer(help="Create and manage projects.", no_args_is_help=True)


@projects.command("create")
@handle_errors
def create(
    name: str,
    type_: Annotated[str, typer.Option("--type", help="Task type, see `quorum types`.")],
    config: Annotated[Path | None, typer.Option(help="JSON file with the task config.")] = None,
    overlap: Annotated[int, typer.Option(help="Judgments wanted per item.")] = 1,
    lease_seconds: Annotated[int, typer.Option(help="How long an annotator holds an item.")] = 900,
    guidelines: Annotated[Path | None, typer.Option(help="Markdown file with the guidelines.")] = None,
) -> None:
    """Create a project and print its id alone on stdout."""
    config_data: Any = read_json_file(str(config), "config") if config else {}
    if not isinstance(config_data, dict):
        raise fail(f"config file {config} must hold a JSON object")
    body = ""
    if guidelines:
        try:
            body = guidelines.read_text(encoding="utf-8")
        except OSError as exc:
            raise fail(f"cannot read guidelines file {guidelines}: {exc.strerror}") from None
    with unit_of_work() as db:
        project = service.create_project(
            db,
            None,
            name=name,
            task_type=type_,
            config=config_data,
            overlap=overlap,
            lease_seconds=lease_seconds,
            guidelines=body,
        )
        project_id = project.id
    print(project_id)


@projects.command("list")
@handle_errors
def list_() -> None:
    """List all projects with their item counts."""
    table = Table("id", "name", "type", "status", "overlap", "open", "complete", "flagged")
    with unit_of_work() as db:
        for p in service.all_projects(db):
            counts = counts_by_status(db, p)
            table.add_row(
                str(p.id),
                p.name,
                p.task_type,
                p.status,
                str(p.overlap),
                str(counts["open"]),
                str(counts["complete"]),
                str(counts["flagged"]),
            )
    out.print(table)


@projects.command("add-member")
@handle_errors
def add_member(
    project: str,
    username: str,
    role: Annotated[str, typer.Option(help="manager, reviewer or annotator.")],
) -> None:
    """Give a user a role in a project (PROJECT is an id or a name)."""
    with unit_of_work() as db:
        found = find_project(db, project)
        service.add_member(db, None, found, accounts.get_user(db, username), role)
        out.print(f"{username} is now {role} in {found.name}", markup=False)


@projects.command("set")
@handle_errors
def set_(
    project: str,
    status: Annotated[str | None, typer.Option(help="draft, active, paused or archived.")] = None,
    overlap: Annotated[int | None, typer.Option(help="Judgments wanted per item.")] = None,
    lease_seconds: Annotated[int | None, typer.Option(help="Lease length in seconds.")] = None,
    guidelines: Annotated[Path | None, typer.Option(help="Markdown file: becomes a new version.")] = None,
    qualification_size: Annotated[
        int | None, typer.Option(help="Gold items served first as a test (0: no qualification).")
    ] = None,
    qualification_threshold: Annotated[
        float | None, typer.Option(help="Mean gold score needed to pass the qualification (0 to 1).")
    ] = None,
    flag_threshold: Annotated[
        int | None, typer.Option(help="People flagging an item that take it out of the queue (0: never).")
    ] = None,
) -> None:
    """Change a project's status or policies, or publish new guidelines."""
    changes: dict[str, Any] = {
        k: v
        for k, v in {
            "status": status,
            "overlap": overlap,
            "lease_seconds": lease_seconds,
            "qualification_size": qualification_size,
            "qualification_threshold": qualification_threshold,
        }.items()
        if v is not None
    }
    if flag_threshold is not None:
        changes["flag_threshold"] = flag_threshold or None
    with unit_of_work() as db:
        found = find_project(db, project)
        if changes:
            service.update_project(db, None, found, changes)
        if guidelines:
            service.set_guidelines(db, None, found, guidelines.read_text(encoding="utf-8"))
        out.print(f"updated project {found.name}", markup=False)


@projects.command("qualification-reset")
@handle_errors
def qualification_reset(project: str, username: str) -> None:
    """Start a new qualification attempt for USERNAME in PROJECT (after a failure, or to test again)."""
    with unit_of_work() as db:
        found = find_project(db, project)
        service.reset_qualification(db, None, found, accounts.get_user(db, username))
        out.print(f"{username} takes the qualification for {found.name} again", markup=False)
