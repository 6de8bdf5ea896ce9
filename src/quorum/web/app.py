"""``create_app``: the ASGI application, built from settings; nothing is read at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from quorum import __version__
from quorum.accounts.api import router as accounts_router
from quorum.assignments.api import router as assignments_router
from quorum.config import Settings
from quorum.db import Database
from quorum.exports.api import router as exports_router
from quorum.items.api import router as items_router
from quorum.projects.api import router as projects_router
from quorum.web import errors
from quorum.web.limits import BodySizeLimit
from quorum.web.system import router as system_router

log = logging.getLogger("quorum.web")


def _is_upload(path: str) -> bool:
    return path.endswith("/items/import")


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or Settings()
    owns_database = database is None
    database = database or Database(settings.resolved_database_url(), echo=settings.sql_echo)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if owns_database:
            # Graceful shutdown: uvicorn has drained requests by now; close pooled connections.
            database.dispose()

    app = FastAPI(title="Quorum", version=__version__, lifespan=lifespan, docs_url="/docs", redoc_url=None)
    app.state.settings = settings
    app.state.database = database
    errors.install(app)
    for router in (
        system_router,
        accounts_router,
        projects_router,
        items_router,
        assignments_router,
        exports_router,
    ):
        app.include_router(router)
    app.add_middleware(
        BodySizeLimit, default=settings.max_body_bytes, upload=settings.max_upload_bytes, is_upload=_is_upload
    )
    return app
