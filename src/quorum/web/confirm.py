"""The confirm step of destructive page actions (deactivate a user, remove a member, pause a project,
delete items). A form posted without ``confirmed=1`` gets a confirm page that posts the same fields again
with it: the step holds without JavaScript and against a stray request. In the browser ``confirm.js``
asks in a dialog first and sends ``confirmed=1`` itself, so people see the dialog, never the page."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import HTMLResponse

from quorum.web.templating import render

FIELD = "confirmed"


def is_confirmed(value: str | None) -> bool:
    return value == "1"


def confirm_page(
    request: Request,
    *,
    action: str,
    message: str,
    button: str,
    back: str,
    fields: Mapping[str, str | list[str]] | None = None,
) -> HTMLResponse:
    """A page that says what will happen and posts ``fields`` (plus the confirmation) to ``action``."""
    hidden: list[tuple[str, str]] = []
    for name, value in (fields or {}).items():
        for one in value if isinstance(value, list) else [value]:
            hidden.append((name, one))
    return render(
        request,
        "confirm.html",
        {"action": action, "message": message, "button": button, "back": back, "hidden": hidden},
    )
