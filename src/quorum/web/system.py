"""Health, readiness and the task-type catalogue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from quorum.errors import Unavailable
from quorum.task_types import registry
from quorum.task_types.describe import describe
from quorum.web.deps import get_database

router = APIRouter(tags=["system"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> dict[str, str]:
    """The process can serve: its database answers."""
    try:
        get_database(request).ping()
    except Exception as exc:
        raise Unavailable(f"database unreachable: {type(exc).__name__}") from None
    return {"status": "ok", "database": get_database(request).dialect}


@router.get("/api/v1/task-types")
def task_types() -> list[dict[str, Any]]:
    return [describe(t) for t in registry.all_types()]
