"""``create_app``: the ASGI application, built from settings; nothing is read at import time."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from quorum import __version__
from quorum.accounts.api import router as accounts_router
from quorum.accounts.views import router as accounts_pages
from quorum.assignments.api import router as assignments_router
from quorum.assignments.views import router as work_pages
from quorum.assistance.api import router as assistance_router
from quorum.blobs.api import router as blobs_router
from quorum.blobs.store import LocalBlobStore
from quorum.comments.api import router as comments_router
from quorum.config import Settings
from quorum.critiques.api import router as critiques_router
from quorum.db import Database
from quorum.db.engine import POOL_SIZE
from quorum.exports.api import router as exports_router
from quorum.exports.views import router as exports_pages
from quorum.flags.api import router as flags_router
from quorum.flags.views import router as flags_pages
from quorum.generation.api import router as generation_router
from quorum.generation.views import router as generation_pages
from quorum.items.api import router as items_router
from quorum.items.console_api import router as items_console_router
from quorum.items.views import router as items_pages
from quorum.jobs.api import router as jobs_router
from quorum.jobs.queue import build_queue
from quorum.jobs.views import router as jobs_pages
from quorum.judges.api import router as judges_router
from quorum.judges.views import router as judges_pages
from quorum.keys import secret_key
from quorum.projects.api import router as projects_router
from quorum.projects.setup_views import router as setup_pages
from quorum.projects.views import router as projects_pages
from quorum.providers import stored_keys
from quorum.providers.api import router as models_router
from quorum.providers.views import router as models_pages
from quorum.quality.api import router as quality_router
from quorum.quality.views import router as quality_pages
from quorum.reviews.api import router as reviews_router
from quorum.reviews.views import router as reviews_pages
from quorum.reward.api import router as reward_router
from quorum.reward.views import router as reward_pages
from quorum.suggestions.api import router as suggestions_router
from quorum.synthetic.api import router as synthetic_router
from quorum.synthetic.views import router as synthetic_pages
from quorum.web import errors
from quorum.web.assets import STATIC
from quorum.web.assets import router as assets_router
from quorum.web.clients import TrustedProxies
from quorum.web.input_guard import check_input
from quorum.web.limits import BodySizeLimit, ConcurrencyLimit
from quorum.web.passwords import PASSWORD_LANE, is_password_check
from quorum.web.ratelimit import LoginLimiter
from quorum.web.security import SecurityHeaders
from quorum.web.session import Sessions
from quorum.web.system import router as system_router
from quorum.web.templating import make_templates
from quorum.workspace.api import router as workspace_router
from quorum.workspace.views import router as workspace_pages

log = logging.getLogger("quorum.web")


def _is_upload(path: str) -> bool:
    return path.endswith(("/items/import", "/upload")) or path == "/api/v1/blobs"


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or Settings()
    owns_database = database is None
    database = database or Database(settings.resolved_database_url(), echo=settings.sql_echo)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if owns_database:
            # A served process: the ~200k objects loaded at startup live as long as it does. Frozen, they
            # leave the collector's generations, so the collections a bulk import or export triggers
            # stop walking them (about a fifth of an import's CPU).
            gc.freeze()
        yield
        if owns_database:
            # Graceful shutdown: uvicorn has drained requests by now; close pooled connections.
            database.dispose()

    # No /docs page: Swagger UI loads script from a CDN, which the Content-Security-Policy forbids.
    app = FastAPI(
        title="Quorum",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(check_input)],
    )
    app.state.settings = settings
    app.state.database = database
    app.state.templates = make_templates(settings.image_host_set())
    app.state.sessions = Sessions(secret_key(settings))
    stored_keys.use_settings(settings)
    app.state.login_limiter = LoginLimiter()
    app.state.trusted_proxies = TrustedProxies(settings.trusted_proxies)
    app.state.blobs = LocalBlobStore(settings.resolved_blob_dir())
    # Units of work of this app may submit jobs; their ids reach this queue after commit.
    app.state.job_queue = build_queue(settings, database)
    errors.install(app)
    # Routes are matched in order, one by one: the annotator loop's (every annotator, every item) first.
    routers = (
        assignments_router,
        workspace_router,
        system_router,
        accounts_router,
        projects_router,
        items_console_router,  # before items_router: /items/search is not an item id
        items_router,
        exports_router,
        flags_router,
        jobs_router,
        quality_router,
        reviews_router,
        comments_router,
        models_router,
        synthetic_router,
        generation_router,
        suggestions_router,
        assistance_router,
        reward_router,
        judges_router,
        critiques_router,
        blobs_router,
        assets_router,
        accounts_pages,
        projects_pages,
        setup_pages,
        exports_pages,
        items_pages,
        work_pages,
        workspace_pages,
        flags_pages,
        jobs_pages,
        generation_pages,
        judges_pages,
        quality_pages,
        reviews_pages,
        models_pages,
        synthetic_pages,
        reward_pages,
    )
    for router in routers:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(
        BodySizeLimit, default=settings.max_body_bytes, upload=settings.max_upload_bytes, is_upload=_is_upload
    )
    app.add_middleware(SecurityHeaders, image_hosts=settings.image_host_set())
    # Leave room for the connections a streaming export opens on its own.
    app.add_middleware(
        ConcurrencyLimit, limit=POOL_SIZE, narrow=is_password_check, narrow_limit=PASSWORD_LANE
    )
    return app
