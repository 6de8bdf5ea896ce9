"""The ``embed`` job: thin; the work is ``embeddings.service.embed_project``. Submitted through
``POST /api/v1/jobs`` (kind ``embed``) with params ``model``, ``parts`` and ``batch_size``, all optional."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import object_session

from quorum.embeddings import service, texts
from quorum.errors import Invalid, NotFound, field_error
from quorum.jobs.registry import JobContext, register
from quorum.models import Job, Project
from quorum.providers.service import BUILTIN_EMBEDDINGS, find_model

KIND = "embed"
PARAMS = frozenset({"model", "parts", "batch_size"})
MAX_BATCH = 4096


def check_request(project: Project, params: dict[str, Any]) -> dict[str, Any]:
    problems = [
        field_error(f"params.{k}", "not a parameter of embed", at="body") for k in params if k not in PARAMS
    ]
    model, parts, size = (
        params.get("model"),
        params.get("parts"),
        params.get("batch_size", service.BATCH_SIZE),
    )
    if model is not None and not isinstance(model, str):
        problems.append(field_error("params.model", "the name of an embedding model", at="body"))
    if parts is not None and not (
        isinstance(parts, list) and parts and all(isinstance(p, str) for p in parts)
    ):
        problems.append(field_error("params.parts", f"a list of parts: {texts.PART_RULE}", at="body"))
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_BATCH:
        problems.append(field_error("params.batch_size", f"a whole number from 1 to {MAX_BATCH}", at="body"))
    if problems:
        raise Invalid("invalid embed job", problems)
    if parts is not None:
        texts.check_parts(parts, at="body")
    db = object_session(project)
    if isinstance(model, str) and model not in BUILTIN_EMBEDDINGS and db is not None:
        try:
            find_model(db, model)
        except NotFound as exc:
            raise Invalid(
                f"no embedding model {model!r}",
                [field_error("params.model", f"no model {model!r} is registered", at="body")],
            ) from exc
    return {"model": model, "parts": parts, "batch_size": size}


def dedupe_key(project: Project, params: dict[str, Any]) -> str:
    return f"embed:{project.id}:{service.model_name(params.get('model'))}"


def summary(result: dict[str, Any]) -> str:
    return (
        f"embedded {result.get('embedded', 0)} texts with {result.get('model')}"
        f" ({result.get('stored', 0)} of {result.get('total', 0)} were stored already)"
    )


@register(KIND, check=check_request, key=dedupe_key, label="Embed items", summary=summary)
def run_embed(ctx: JobContext, job: Job) -> dict[str, Any]:
    project = ctx.db.get(Project, job.project_id) if job.project_id is not None else None
    if project is None:
        raise NotFound(f"the project of job {job.id} is gone")
    params = dict(job.params)
    stats = service.embed_project(
        ctx.db,
        project,
        model=params.get("model"),
        parts=params.get("parts"),
        ctx=ctx,
        batch_size=int(params.get("batch_size") or service.BATCH_SIZE),
        job_id=job.id,
        allow_link_local=ctx.settings.allow_link_local_models,
    )
    return stats.as_dict()
