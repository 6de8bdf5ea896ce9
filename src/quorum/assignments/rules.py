"""A project's queue settings as the pure policy's plain data (``core/policy.py``)."""

from __future__ import annotations

from quorum.core.policy import ProjectPolicy
from quorum.core.project_policy import POLICY_FIELDS
from quorum.models import Project


def policy_of(project: Project) -> ProjectPolicy:
    # Called on every claim: the columns were validated when they were written, so no validation here.
    values = {name: getattr(project, name) for name in POLICY_FIELDS}
    values["required_expertise"] = dict(project.required_expertise or {})
    return ProjectPolicy.model_construct(**values)
