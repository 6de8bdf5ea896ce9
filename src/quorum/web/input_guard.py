"""The API boundary's input check, run before every route (an app-wide dependency): path and query
parameters, form fields and JSON bodies must pass ``core.input_checks``, so a NUL character, a
non-finite number or a too-deep value is a 422 naming the field on both databases, never a 500 from
PostgreSQL or a value SQLite alone would store."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.datastructures import UploadFile

from quorum.core.input_checks import field_name, text_problem, value_problems
from quorum.errors import Invalid, field_error


def _details(problems: list[tuple[list[str | int], str]]) -> list[dict[str, Any]]:
    return [field_error(field_name(loc[1:]), msg, loc=[str(p) for p in loc]) for loc, msg in problems]


def _raise(problems: list[tuple[list[str | int], str]]) -> None:
    if problems:
        details = _details(problems)
        first = details[0]
        raise Invalid(f"invalid request: {first['field'] or 'body'}: {first['msg']}", details)


async def check_input(request: Request) -> None:
    problems: list[tuple[list[str | int], str]] = []
    for source, params in (
        ("path", request.path_params.items()),
        ("query", request.query_params.multi_items()),
    ):
        for name, value in params:
            if isinstance(value, str) and (msg := text_problem(value)):
                problems.append(([source, name], msg))
    _raise(problems)
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or route.body_field is None:
        return  # raw-body routes (imports, uploads) check what they read themselves
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # parsed once: FastAPI has already read it for the route
        for name, value in form.multi_items():
            if not isinstance(value, UploadFile) and (msg := text_problem(value)):
                problems.append((["body", name], msg))
    elif await request.body():
        try:
            # Starlette keeps the value FastAPI parsed for the route, so this parses nothing again.
            value = await request.json()
        except (ValueError, RecursionError):
            return  # not JSON: the route's own validation answers with a 422
        problems = value_problems(value, ["body"])
    _raise(problems)
