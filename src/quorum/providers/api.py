"""``/api/v1/models`` and ``/api/v1/model-calls``: admin only. No response carries an API key: a model
shows where its key comes from (the NAME of an environment variable, or ``stored``) and whether it has
one, never the key; ``api_key`` is write-only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from starlette.concurrency import run_in_threadpool

from quorum.config import Settings
from quorum.models import ModelCall, ModelEndpoint
from quorum.providers import service
from quorum.providers.base import ChatResult
from quorum.web.deps import DB, CurrentUser, as_current_user, credentials_sent, get_database

router = APIRouter(prefix="/api/v1", tags=["models"])


class ModelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=100)
    base_url: str = Field(default="", max_length=2000, description="Not needed by the `local` provider.")
    model: str = Field(max_length=200, description="The model's name on the server (the remote model).")
    provider: str = Field(default="openai", max_length=50)
    api_key_env: str | None = Field(default=None, max_length=200)
    api_key: SecretStr | None = Field(
        default=None, description="The key itself, stored encrypted; write-only. Not with `api_key_env`."
    )
    params: dict[str, Any] = Field(default_factory=dict)
    concurrency: int | None = None
    rpm: int | None = None
    price_in_per_1k: float = 0.0
    price_out_per_1k: float = 0.0


class ModelOut(BaseModel):
    name: str
    provider: str
    base_url: str
    model: str
    api_key_env: str | None
    has_api_key: bool
    api_key_source: str | None = Field(description="`env`, `stored` or null.")
    params: dict[str, Any]
    concurrency: int | None
    rpm: int | None
    price_in_per_1k: float
    price_out_per_1k: float
    created_at: datetime

    @classmethod
    def of(cls, m: ModelEndpoint) -> ModelOut:
        return cls(
            name=m.name,
            provider=m.provider,
            base_url=m.base_url,
            model=m.remote_model,
            api_key_env=m.api_key_env,
            has_api_key=service.key_source(m) is not None,
            api_key_source=service.key_source(m),
            params=m.params,
            concurrency=m.concurrency,
            rpm=m.rpm,
            price_in_per_1k=m.price_in_per_1k,
            price_out_per_1k=m.price_out_per_1k,
            created_at=m.created_at,
        )


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_key: SecretStr | None = Field(description="The key, stored encrypted; null forgets the stored key.")


class TestOut(BaseModel):
    text: str
    tokens_in: int
    tokens_out: int
    latency_ms: float
    raw_model: str


class CallOut(BaseModel):
    id: int
    model: str
    purpose: str
    tokens_in: int
    tokens_out: int
    latency_ms: float
    first_token_ms: float | None
    cost: float
    job_id: int | None
    item_id: int | None
    error: str | None
    created_at: datetime

    @classmethod
    def of(cls, c: ModelCall) -> CallOut:
        return cls(
            id=c.id,
            model=c.model_name,
            purpose=c.purpose,
            tokens_in=c.tokens_in,
            tokens_out=c.tokens_out,
            latency_ms=c.latency_ms,
            first_token_ms=c.first_token_ms,
            cost=c.cost,
            job_id=c.job_id,
            item_id=c.item_id,
            error=c.error,
            created_at=c.created_at,
        )


def _allow_link_local(request: Request) -> bool:
    settings: Settings = request.app.state.settings
    return settings.allow_link_local_models


@router.get("/models")
def list_models(user: CurrentUser, db: DB) -> list[ModelOut]:
    return [ModelOut.of(m) for m in service.list_models(db, user)]


@router.post("/models", status_code=status.HTTP_201_CREATED)
def add_model(body: ModelIn, request: Request, user: CurrentUser, db: DB) -> ModelOut:
    """Register a model (admin). The base URL must be http(s) and not link-local or cloud metadata."""
    spec = service.ModelSpec(
        name=body.name,
        base_url=body.base_url,
        remote_model=body.model,
        provider=body.provider,
        api_key_env=body.api_key_env,
        api_key=body.api_key.get_secret_value() if body.api_key is not None else None,
        params=body.params,
        concurrency=body.concurrency,
        rpm=body.rpm,
        price_in_per_1k=body.price_in_per_1k,
        price_out_per_1k=body.price_out_per_1k,
    )
    created = service.add_model(db, user, spec, allow_link_local=_allow_link_local(request))
    return ModelOut.of(created)


@router.get("/models/{name}")
def get_model(name: str, user: CurrentUser, db: DB) -> ModelOut:
    return ModelOut.of(service.get_model(db, user, name))


@router.put("/models/{name}/api-key")
def set_api_key(name: str, body: KeyIn, user: CurrentUser, db: DB) -> ModelOut:
    """Store a model's key encrypted (replacing ``api_key_env``), or forget it with null (admin)."""
    key = body.api_key.get_secret_value() if body.api_key is not None else None
    return ModelOut.of(service.set_api_key(db, user, name, key))


@router.delete("/models/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_model(name: str, user: CurrentUser, db: DB) -> Response:
    service.delete_model(db, user, name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/models/{name}/test",
    response_model=TestOut,
    responses={502: {"description": "The model's server failed or refused."}},
    dependencies=[Depends(credentials_sent)],
)
async def probe_model(name: str, request: Request) -> Any:
    """One short chat call, sent between two units of work: on SQLite an open transaction holds the
    write lock, which a slow model must not keep for the whole platform. The error is returned, not
    raised, so its ``model_calls`` row commits."""
    target = await as_current_user(request, lambda db, user: service.probe_target(db, user, name))
    sent = await run_in_threadpool(lambda: service.check(target, allow_link_local=_allow_link_local(request)))
    outcome = await run_in_threadpool(_record, request, sent)
    if outcome.error is not None:
        return JSONResponse(outcome.error.to_dict(), status_code=outcome.error.status)
    r = outcome.unwrap()
    return TestOut(
        text=r.text,
        tokens_in=r.tokens_in,
        tokens_out=r.tokens_out,
        latency_ms=r.latency_ms,
        raw_model=r.raw_model,
    )


def _record(request: Request, sent: service.Sent[ChatResult]) -> service.Outcome[ChatResult]:
    with get_database(request).session() as db:
        return service.record(db, sent, purpose="test")


@router.get("/model-calls")
def model_calls(
    user: CurrentUser,
    db: DB,
    model: str | None = None,
    purpose: str | None = None,
    errors: bool = False,
    job_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[CallOut]:
    """The ledger, newest first (admin); ``errors=true`` keeps failed calls only."""
    found = service.calls(
        db, user, model=model, purpose=purpose, errors_only=errors, job_id=job_id, limit=limit
    )
    return [CallOut.of(c) for c in found]
