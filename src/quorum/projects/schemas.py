from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.fields import FieldInfo

from quorum.core.project_policy import ProjectPolicy


class ProjectCreate(ProjectPolicy):
    """A new project: its name, type, config and guidelines, and any policy (the rest take defaults)."""

    name: str
    """Checked by the service (``check_name``), the same rule and message as on rename."""
    task_type: str
    config: dict[str, Any] = Field(default_factory=dict)
    guidelines: str = ""


def _policy_fields(*, optional: bool) -> dict[str, Any]:
    """Each policy field for a derived shape. A patch takes each one optionally, with the model's bounds
    (``null`` is passed on, for the service to read as none or refuse); a read shape keeps the types
    without the bounds, so reading a project never fails on a value stored before a bound existed."""
    fields: dict[str, Any] = {}
    for name, info in ProjectPolicy.model_fields.items():
        if optional:
            nullable: Any = Optional[info.annotation]  # noqa: UP045 (the annotation is a runtime value)
            shape = Annotated[nullable, *info.metadata] if info.metadata else nullable
            fields[name] = (shape, Field(None, **_docs(info)))
        else:
            fields[name] = (info.annotation, Field(**_docs(info)))
    return fields


def _docs(info: FieldInfo) -> dict[str, Any]:
    return {"title": info.title, "description": info.description}


if TYPE_CHECKING:
    _PolicyPatch = BaseModel
    _PolicyRead = BaseModel
else:
    _PolicyPatch = create_model("PolicyPatch", **_policy_fields(optional=True))
    _PolicyRead = create_model("PolicyRead", **_policy_fields(optional=False))


class ProjectUpdate(_PolicyPatch):
    """A partial update: only the fields sent change (``exclude_unset``)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str | None = None
    config: dict[str, Any] | None = None


class ProjectOut(_PolicyRead):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    task_type: str
    config: dict[str, Any]
    guideline_version: int
    created_at: datetime
    role: str | None = None


class GuidelinesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(max_length=200_000)


class GuidelinesOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    body: str
    created_at: datetime


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str


class MemberOut(BaseModel):
    user_id: int
    username: str
    role: str


class QualificationOut(BaseModel):
    username: str
    attempt: int
    status: str
    """``pending`` (taking it), ``passed`` or ``failed``."""
    judged: int
    score: float | None
    started_at: datetime | None
    decided_at: datetime | None
