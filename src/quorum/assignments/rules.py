"""A project's queue settings as the pure policy's plain data (``core/policy.py``)."""

from __future__ import annotations

from quorum.core.policy import ProjectPolicy
from quorum.models import Project


def policy_of(project: Project) -> ProjectPolicy:
    return ProjectPolicy(
        overlap=project.overlap,
        active=project.status == "active",
        required_expertise=dict(project.required_expertise or {}),
        max_leases=project.max_leases,
        gold_rate=project.gold_rate,
        min_gold_accuracy=project.min_gold_accuracy,
        min_gold_judged=project.min_gold_judged,
        overlap_max=project.overlap_max,
        qualification_size=project.qualification_size,
        qualification_threshold=project.qualification_threshold,
        flag_threshold=project.flag_threshold,
    )
