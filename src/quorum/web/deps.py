"""Request dependencies: the unit of work and the authenticated user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quorum.accounts import service as accounts
from quorum.db import Database
from quorum.errors import Conflict, NotAuthenticated
from quorum.models import User


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_db(request: Request) -> Iterator[Session]:
    """One unit of work per request: it commits after the route returns, before the response is sent."""
    try:
        with get_database(request).session() as session:
            yield session
    except IntegrityError as exc:
        # A uniqueness race lost to a concurrent request: the caller may retry.
        raise Conflict(
            "a concurrent change conflicted with this request; retry it", {"constraint": str(exc.orig)[:200]}
        ) from None


DB = Annotated[Session, Depends(get_db, scope="function")]


def current_user(request: Request, db: DB) -> User:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return accounts.user_for_token(db, token.strip())
    raise NotAuthenticated("send an API token as 'Authorization: Bearer <token>'")


CurrentUser = Annotated[User, Depends(current_user, scope="function")]
