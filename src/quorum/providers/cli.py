"""``quorum model add|list|test|delete``: the operator at the shell registers and checks models."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from quorum.cli_support import err, fail, handle_errors, out, settings, unit_of_work
from quorum.providers import service, stored_keys

models = typer.Typer(help="Register and check the models Quorum calls.", no_args_is_help=True)


def _params(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"--params is not valid JSON: {exc.msg}") from None
    if not isinstance(value, dict):
        raise fail("--params must be a JSON object, e.g. '{\"temperature\": 0.7}'")
    return value


PromptKey = Annotated[
    bool, typer.Option("--api-key-prompt", help="Ask for the key (hidden) and store it encrypted.")
]
StdinKey = Annotated[
    bool,
    typer.Option("--api-key-stdin", help="Read the key from the first line of stdin; store it encrypted."),
]


def _read_key(prompt: bool, stdin: bool) -> str | None:
    """The key typed at a hidden prompt or piped in: never an argument (it would land in shell history)."""
    if prompt and stdin:
        raise fail("give --api-key-prompt or --api-key-stdin, not both")
    if prompt:
        return str(typer.prompt("API key", hide_input=True)).strip()
    if stdin:
        return sys.stdin.readline().strip()
    return None


@models.command("add")
@handle_errors
def add(
    name: Annotated[str, typer.Argument(help="The name Quorum knows the model by.")],
    model: Annotated[str, typer.Option("--model", help="The model's name on the server.")],
    base_url: Annotated[
        str,
        typer.Option("--base-url", help="The server's URL, e.g. http://127.0.0.1:8000/v1 (not for local)."),
    ] = "",
    api_key_env: Annotated[
        str | None, typer.Option("--api-key-env", help="NAME of the environment variable holding the key.")
    ] = None,
    api_key_prompt: PromptKey = False,
    api_key_stdin: StdinKey = False,
    provider: Annotated[str, typer.Option(help="Provider kind.")] = "openai",
    params: Annotated[str | None, typer.Option(help="Default parameters as a JSON object.")] = None,
    concurrency: Annotated[int | None, typer.Option(help="Concurrent calls at most, per process.")] = None,
    rpm: Annotated[int | None, typer.Option(help="Requests per minute at most, per process.")] = None,
    price_in: Annotated[float, typer.Option("--price-in", help="Price per 1k input tokens.")] = 0.0,
    price_out: Annotated[float, typer.Option("--price-out", help="Price per 1k output tokens.")] = 0.0,
) -> None:
    """Register a model. Its key stays in the environment variable named by --api-key-env, or is stored
    encrypted (--api-key-prompt, --api-key-stdin)."""
    stored_keys.use_settings(settings())
    spec = service.ModelSpec(
        name=name,
        base_url=base_url,
        remote_model=model,
        provider=provider,
        api_key_env=api_key_env,
        api_key=_read_key(api_key_prompt, api_key_stdin),
        params=_params(params),
        concurrency=concurrency,
        rpm=rpm,
        price_in_per_1k=price_in,
        price_out_per_1k=price_out,
    )
    with unit_of_work() as db:
        service.add_model(db, None, spec, allow_link_local=settings().allow_link_local_models)
    err.print(f"model {name} registered", markup=False)


@models.command("set-key")
@handle_errors
def set_key(
    name: Annotated[str, typer.Argument()],
    api_key_prompt: PromptKey = False,
    api_key_stdin: StdinKey = False,
    clear: Annotated[bool, typer.Option("--clear", help="Forget the stored key.")] = False,
) -> None:
    """Store a model's key encrypted (replacing --api-key-env), e.g. after QUORUM_SECRET_KEY changed."""
    key = _read_key(api_key_prompt, api_key_stdin)
    if (key is None) != clear:
        raise fail("give --api-key-prompt, --api-key-stdin or --clear")
    stored_keys.use_settings(settings())
    with unit_of_work() as db:
        service.set_api_key(db, None, name, key)
    err.print(f"model {name}: key {'forgotten' if clear else 'stored'}", markup=False)


@models.command("list")
@handle_errors
def list_() -> None:
    """The registered models."""
    table = Table()
    for column in ("name", "model", "key from"):
        table.add_column(column, no_wrap=True)
    table.add_column("base url", overflow="fold")
    table.add_column("limits")
    table.add_column("$/1k in/out")
    with unit_of_work() as db:
        for m in service.list_models(db, None):
            limits = f"{m.concurrency or '-'} at once, {m.rpm or '-'}/min"
            table.add_row(
                m.name,
                f"{m.remote_model} ({m.provider})",
                m.api_key_env or ("stored" if m.api_key_sealed else "-"),
                m.base_url,
                limits,
                f"{m.price_in_per_1k:g}/{m.price_out_per_1k:g}",
            )
    out.print(table)


@models.command("test")
@handle_errors
def probe(
    name: Annotated[str, typer.Argument()],
    stream: Annotated[
        bool, typer.Option("--stream", help="Stream the reply, printing tokens as they come.")
    ] = False,
) -> None:
    """Send one short chat call; print the reply, latency and tokens. Exit 1 when the call fails."""
    stored_keys.use_settings(settings())
    with unit_of_work() as db:
        target = service.probe_target(db, None, name)

    def show(piece: str) -> None:
        out.print(piece, end="", markup=False, highlight=False)
        out.file.flush()

    # Called between two units of work: on SQLite an open transaction would hold the write lock.
    sent = service.check(
        target, allow_link_local=settings().allow_link_local_models, on_token=show if stream else None
    )
    with unit_of_work() as db:
        # The error is returned, not raised, so its model_calls row commits with the unit of work.
        outcome = service.record(db, sent, purpose="test")
    if outcome.error is not None:
        err.print(f"[bold red]error:[/] {outcome.error.message}", markup=True, soft_wrap=True)
        raise typer.Exit(1)
    r = outcome.unwrap()
    out.print("" if stream else r.text, markup=False)
    first = f", first token after {r.first_token_ms:.0f} ms" if r.first_token_ms is not None else ""
    err.print(
        f"{r.raw_model}: {r.latency_ms:.0f} ms{first}, {r.tokens_in} tokens in, {r.tokens_out} out",
        markup=False,
    )


@models.command("delete")
@handle_errors
def delete(name: Annotated[str, typer.Argument()]) -> None:
    """Remove a registration (its model_calls rows stay in the ledger)."""
    with unit_of_work() as db:
        service.delete_model(db, None, name)
    err.print(f"model {name} deleted", markup=False)
