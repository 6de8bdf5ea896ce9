from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from quorum.accounts import service as accounts
from quorum.accounts.access import find_project
from quorum.cli_support import fail, handle_errors, out, read_json_file, unit_of_work
from quorum.items.service import counts_by_status
from quorum.projects import policy_text, service

projects = typer.Typer(help="Create and manage projects.", no_args_is_help=True)


def with_policy_options(fn: Callable[..., None]) -> Callable[..., None]:
    """Adds one ``--option`` per ``ProjectPolicy`` field to the command, collected as text in its
    ``policy`` argument (only the options given: the others keep their value or default)."""
    fields = policy_text.policy_fields()

    @functools.wraps(fn)
    def command(*args: Any, **kwargs: Any) -> None:
        typed = {f.name: kwargs.pop(f.name, None) for f in fields}
        given = {name: text for name, text in typed.items() if text is not None}
        fn(*args, policy=policy_text.changes_from_text(given, fields), **kwargs)

    own = [p for p in inspect.signature(fn, eval_str=True).parameters.values() if p.name != "policy"]
    options = [
        inspect.Parameter(
            f.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                str | None,
                typer.Option(f.option, help=_help(f), show_default=False, rich_help_panel="Policy"),
            ],
        )
        for f in fields
    ]
    command.__signature__ = inspect.Signature([*own, *options])  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in [*own, *options]}
    return command


def _help(field: policy_text.PolicyField) -> str:
    bounds = ""
    if field.minimum is not None and field.maximum is not None:
        cast = int if field.kind == "int" else float
        bounds = f" ({cast(field.minimum)} to {cast(field.maximum)})"
    choices = f" ({', '.join(field.choices)})" if field.choices else ""
    return f"{field.help}{bounds}{choices}."


@projects.command("create")
@handle_errors
@with_policy_options
def create(
    name: Annotated[str, typer.Argument()],
    type_: Annotated[str, typer.Option("--type", help="Task type, see `quorum types`.")],
    config: Annotated[Path | None, typer.Option(help="JSON file with the task config.")] = None,
    guidelines: Annotated[Path | None, typer.Option(help="Markdown file with the guidelines.")] = None,
    *,
    policy: dict[str, Any],
) -> None:
    """Create a project and print its id alone on stdout (policy options: `none` for none)."""
    config_data: Any = read_json_file(str(config), "config") if config else {}
    if not isinstance(config_data, dict):
        raise fail(f"config file {config} must hold a JSON object")
    body = _read_guidelines(guidelines) if guidelines else ""
    with unit_of_work() as db:
        project = service.create_project(
            db, None, name=name, task_type=type_, config=config_data, guidelines=body, **policy
        )
        project_id = project.id
    print(project_id)


def _read_guidelines(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot read guidelines file {path}: {exc.strerror}") from None


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
@with_policy_options
def set_(
    project: Annotated[str, typer.Argument()],
    guidelines: Annotated[Path | None, typer.Option(help="Markdown file: becomes a new version.")] = None,
    *,
    policy: dict[str, Any],
) -> None:
    """Change a project's status or policies (`none` for none), or publish new guidelines."""
    body = _read_guidelines(guidelines) if guidelines else ""
    with unit_of_work() as db:
        found = find_project(db, project)
        if policy:
            service.update_project(db, None, found, policy)
        if body:
            service.set_guidelines(db, None, found, body)
        out.print(f"updated project {found.name}", markup=False)


@projects.command("qualification-reset")
@handle_errors
def qualification_reset(project: str, username: str) -> None:
    """Start a new qualification attempt for USERNAME in PROJECT (after a failure, or to test again)."""
    with unit_of_work() as db:
        found = find_project(db, project)
        service.reset_qualification(db, None, found, accounts.get_user(db, username))
        out.print(f"{username} takes the qualification for {found.name} again", markup=False)
