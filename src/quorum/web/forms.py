"""Form posts from our own pages: every one carries the session's CSRF token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request

from quorum.errors import Forbidden
from quorum.web.deps import PageUser
from quorum.web.session import csrf_ok


def check_csrf(request: Request, user: PageUser, csrf_token: Annotated[str, Form()] = "") -> None:
    session = getattr(request.state, "session", None) or {}
    if not csrf_ok(session, csrf_token):
        raise Forbidden("this form has expired or did not come from Quorum; reload the page and try again")


CSRF = Depends(check_csrf, scope="function")
