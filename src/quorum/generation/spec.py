"""A generation request checked before any job exists (a bad model name or parameter is a 422, never a
failed job), and what each call sends: parameters merged over the model's defaults, a seed per sample."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.errors import Invalid, field_error
from quorum.generation.pairing import KSET, PAIRINGS
from quorum.models import ModelEndpoint, Project
from quorum.task_types import registry
from quorum.task_types.base import error_details

MAX_SEED = 2**31 - 1
MAX_SAMPLES = 16


class Params(BaseModel):
    """Sampling parameters a request may set; each left out keeps the model's default."""

    model_config = ConfigDict(extra="forbid")

    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1, le=32768)
    system_prompt: str | None = Field(default=None, max_length=20000)


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")

    models: list[str] = Field(min_length=1, max_length=10)
    samples: int = Field(default=1, ge=1, le=MAX_SAMPLES)
    params: Params = Field(default_factory=Params, description="Shared by every model.")
    model_params: dict[str, Params] = Field(
        default_factory=dict, description="Per model name, merged over the shared params."
    )
    pairing: str | None = Field(
        default=None, description="all_pairs (default), random_pairs or model_vs_model; kset for rankings."
    )
    items: Literal["awaiting", "all"] = "awaiting"
    external_ids: list[str] | None = Field(default=None, max_length=10_000)
    status: str | None = None
    seed: int = Field(default=0, ge=0, le=MAX_SEED - MAX_SAMPLES)
    concurrency: int = Field(default=16, ge=1, le=64)


def parse_request(raw: Any) -> Request:
    try:
        return Request.model_validate(raw)
    except ValidationError as exc:
        details = error_details(exc)
        details = [{**d, "loc": ["body", *d["loc"]]} for d in details]
        raise Invalid(
            f"invalid generation request: {details[0]['field']}: {details[0]['msg']}", details
        ) from None


def check(db: Session, project: Project, request: Request) -> dict[str, Any]:
    """The job's params for ``request`` on ``project``, or ``Invalid`` naming each bad field."""
    kind = registry.get(project.task_type)
    slots = kind.candidate_slots(kind.parse_config(project.config))
    if slots is None:
        raise Invalid(
            f"project {project.name!r} ({project.task_type}) compares no candidates",
            [field_error("project", "candidate generation needs a pairwise or ranking project", at="path")],
        )
    problems: list[dict[str, Any]] = []
    known = set(db.scalars(select(ModelEndpoint.name).where(ModelEndpoint.name.in_(request.models))))
    for i, name in enumerate(request.models):
        if name not in known:
            problems.append(field_error(f"models.{i}", f"no registered model {name!r}", at="body"))
    if len(set(request.models)) != len(request.models):
        problems.append(field_error("models", "a model is named twice", at="body"))
    for name in request.model_params:
        if name not in request.models:
            problems.append(field_error(f"model_params.{name}", "not one of the request's models", at="body"))
    pairing = request.pairing or ("all_pairs" if slots == (2, 2) else KSET)
    allowed = PAIRINGS if slots == (2, 2) else (KSET,)
    if pairing not in allowed:
        problems.append(field_error("pairing", f"one of {', '.join(allowed)} for this project", at="body"))
    elif pairing == "model_vs_model" and len(set(request.models)) < 2:
        problems.append(field_error("pairing", "model_vs_model needs at least two models", at="body"))
    if len(request.models) * request.samples < slots[0]:
        problems.append(
            field_error("samples", f"models × samples must give at least {slots[0]} candidates", at="body")
        )
    if request.status is not None and request.status not in ("open", "awaiting", "complete", "flagged"):
        problems.append(field_error("status", "open, awaiting, complete or flagged", at="body"))
    if problems:
        raise Invalid(f"invalid generation request: {problems[0]['field']}: {problems[0]['msg']}", problems)
    return {
        "models": list(request.models),
        "samples": request.samples,
        "params": {
            name: {
                **request.params.model_dump(exclude_none=True),
                **request.model_params.get(name, Params()).model_dump(exclude_none=True),
            }
            for name in request.models
        },
        "pairing": pairing,
        "items": request.items,
        "external_ids": request.external_ids,
        "status": request.status,
        "seed": request.seed,
        "concurrency": request.concurrency,
    }


def effective_params(defaults: Mapping[str, Any], asked: Mapping[str, Any]) -> dict[str, Any]:
    """What one model is sampled with: the request's params over the registration's defaults."""
    return {**defaults, **asked}


def params_hash(params: Mapping[str, Any]) -> str:
    """A stable name for a set of parameters (key order and number formatting do not change it)."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def call_of(
    messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any], seed: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The messages and API parameters of one sample: the system prompt as the first message (replacing
    the conversation's own), the sample's seed passed to the server."""
    system = params.get("system_prompt")
    sent = [dict(m) for m in messages]
    if system is not None:
        sent = [{"role": "system", "content": system}, *(m for m in sent if m.get("role") != "system")]
    api = {k: v for k, v in params.items() if k != "system_prompt"}
    api["seed"] = seed
    return sent, api
