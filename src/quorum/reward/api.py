"""``/api/v1/projects/{ref}/reward-model`` and ``/api/v1/projects/{ref}/active``: the reward model's status
and versions, train and score jobs, and the project's active-learning settings and selections."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, status

from quorum.accounts.access import MANAGE, VIEW
from quorum.accounts.access import require_project as access
from quorum.core.input_checks import Id
from quorum.errors import Invalid, field_error
from quorum.jobs.service import job_view
from quorum.reward import service, versions
from quorum.web.deps import DB, CurrentUser

router = APIRouter(prefix="/api/v1/projects/{ref}", tags=["active learning"])


@router.get("/reward-model")
def reward_status(ref: str, user: CurrentUser, db: DB) -> dict[str, Any]:
    """The current version (``version``, ``labels``, held-out ``accuracy`` with ``accuracy_low`` and
    ``accuracy_high``, the report) and the settings; ``version`` is null before the first training."""
    return service.status(db, access(db, user, ref, VIEW))


@router.get("/reward-model/versions")
def reward_versions(ref: str, user: CurrentUser, db: DB) -> dict[str, Any]:
    return {"versions": service.versions(db, access(db, user, ref, VIEW))}


@router.get("/reward-model/versions/{number}")
def reward_version(ref: str, number: Id, user: CurrentUser, db: DB) -> dict[str, Any]:
    """One version with the item and judgment ids it was trained on."""
    return service.version(db, access(db, user, ref, VIEW), number)


@router.post("/reward-model/train", status_code=status.HTTP_202_ACCEPTED)
def reward_train(ref: str, user: CurrentUser, db: DB) -> dict[str, Any]:
    """An ``rm_train`` job (manager); the pending one when there is one."""
    return job_view(service.submit_train(db, user, access(db, user, ref, MANAGE)))


@router.post("/reward-model/score", status_code=status.HTTP_202_ACCEPTED)
def reward_score(ref: str, user: CurrentUser, db: DB) -> dict[str, Any]:
    """An ``rm_score`` job (manager): score open items, prioritise a batch when active learning is on."""
    return job_view(service.submit_score(db, user, access(db, user, ref, MANAGE)))


@router.get("/active")
def active_settings(ref: str, user: CurrentUser, db: DB) -> dict[str, Any]:
    return service.get_settings(db, access(db, user, ref, VIEW))


@router.put("/active")
def set_active_settings(
    ref: str, user: CurrentUser, db: DB, body: dict[str, Any] = Body(...)
) -> dict[str, Any]:
    """Merge the given settings (``strategy``, ``batch_size``, ``control_share``, ``retrain_every``,
    ``embedding_model``) and turn active learning on (manager); a bad one is a 422 naming the field."""
    project = access(db, user, ref, MANAGE)
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object", [field_error("body", "an object", at="body")])
    return service.set_settings(db, project, body)


@router.get("/active/selections")
def active_selections(ref: str, user: CurrentUser, db: DB) -> dict[str, Any]:
    """The latest items the reward model prioritised, newest first: version, strategy, arm, score,
    disagreement, margin and the priority given."""
    return {"selections": versions.selections(db, access(db, user, ref, VIEW))}
