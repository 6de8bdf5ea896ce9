from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from quorum.accounts import service
from quorum.cli_support import fail, handle_errors, out, unit_of_work
from quorum.errors import Invalid

users = typer.Typer(help="Create and manage users.", no_args_is_help=True)
tokens = typer.Typer(help="Issue API tokens.", no_args_is_help=True)


def parse_expertise(pairs: list[str]) -> dict[str, int]:
    try:
        return service.parse_expertise_text(" ".join(pairs))
    except Invalid:
        bad = next(p for p in pairs if "=" not in p or not p.partition("=")[2].strip().lstrip("-").isdigit())
        raise fail(f"--expertise {bad!r}: write TAG=LEVEL, e.g. math=3") from None


@users.command("create")
@handle_errors
def create(
    username: str,
    password: Annotated[str | None, typer.Option(help="The password (visible in shell history).")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    admin: Annotated[bool, typer.Option("--admin", help="Make the user a global admin.")] = False,
    expertise: Annotated[list[str] | None, typer.Option(help="TAG=LEVEL, repeatable, e.g. math=3.")] = None,
) -> None:
    """Create a user."""
    if password is not None and password_stdin:
        raise fail("give --password or --password-stdin, not both")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    with unit_of_work() as db:
        user = service.create_user(
            db, username, password=password, is_admin=admin, expertise=parse_expertise(expertise or [])
        )
        out.print(f"created user {user.username} (id {user.id})", markup=False)


@users.command("list")
@handle_errors
def list_() -> None:
    """List users."""
    table = Table("id", "username", "admin", "active", "expertise")
    with unit_of_work() as db:
        for u in service.list_users(db):
            exp = ", ".join(f"{k}={v}" for k, v in u.expertise.items())
            table.add_row(
                str(u.id), u.username, "yes" if u.is_admin else "", "yes" if u.is_active else "no", exp
            )
    out.print(table)


@users.command("set")
@handle_errors
def set_(
    username: str,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="Activate or deactivate.")
    ] = None,
    expertise: Annotated[
        list[str] | None, typer.Option(help="TAG=LEVEL, repeatable; replaces the tags.")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Reset the password from stdin.")
    ] = False,
) -> None:
    """Change a user: activate, deactivate, set expertise, reset the password."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    with unit_of_work() as db:
        user = service.get_user(db, username)
        service.update_user(
            db,
            user,
            actor=None,
            is_active=active,
            expertise=parse_expertise(expertise) if expertise is not None else None,
            password=password,
        )
        out.print(f"updated user {user.username}", markup=False)


@tokens.command("create")
@handle_errors
def create_token(
    username: str,
    name: Annotated[str, typer.Option(help="A label for the token.")] = "cli",
    expires_days: Annotated[
        int | None, typer.Option(help="The token stops working this many days from now (default: never).")
    ] = None,
) -> None:
    """Create an API token and print it alone on stdout (it is shown only this once)."""
    with unit_of_work() as db:
        user = service.get_user(db, username)
        _, plain = service.create_token(db, user, name=name, expires_in_days=expires_days)
    print(plain)
