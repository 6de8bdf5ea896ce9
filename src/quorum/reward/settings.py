"""A project's active-learning settings: which strategy sets priorities, how big a batch, what share of
it is the random control arm, and how often the reward model retrains by itself."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy.orm import Session

from quorum.db.types import utcnow
from quorum.errors import Invalid, field_error
from quorum.models import ActiveSetting, Project

DEFAULTS: dict[str, Any] = {
    "strategy": "uncertainty",
    "batch_size": 50,
    "control_share": 0.2,
    "retrain_every": 50,
    "embedding_model": None,
}
MAX_BATCH = 10_000
# The library's strategies (``quorum.core.reward.acquire.STRATEGIES``; a test keeps them equal), named
# here so that reading settings loads no NumPy.
STRATEGIES = ("random", "uncertainty", "margin", "diversity", "hybrid", "convincing_wrong")
MAX_RETRAIN_EVERY = 1_000_000
FIELDS = tuple(DEFAULTS)


def check(values: dict[str, Any], *, at: str = "body") -> dict[str, Any]:
    """``values`` with every problem named by field (all of them at once), or ``Invalid``."""
    unknown = [name for name in values if name not in FIELDS]
    problems = [field_error(name, "unknown setting", at=at) for name in unknown]
    strategy = values.get("strategy")
    if "strategy" in values and strategy not in STRATEGIES:
        problems.append(field_error("strategy", f"one of: {', '.join(STRATEGIES)}", at=at))
    share = values.get("control_share")
    if "control_share" in values and (
        isinstance(share, bool)
        or not isinstance(share, int | float)
        or not math.isfinite(share)
        or not 0 <= share <= 1
    ):
        problems.append(field_error("control_share", "a number between 0 and 1", at=at))
    for name, high, nullable in (
        ("batch_size", MAX_BATCH, False),
        ("retrain_every", MAX_RETRAIN_EVERY, True),
    ):
        if name not in values or (nullable and values[name] is None):
            continue
        value = values[name]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
            problems.append(field_error(name, f"a whole number from 1 to {high}", at=at))
    model = values.get("embedding_model")
    if model is not None and (not isinstance(model, str) or not 1 <= len(model) <= 200):
        problems.append(field_error("embedding_model", "a registered model's name", at=at))
    if problems:
        raise Invalid("bad active-learning settings", problems)
    return dict(values)


def view(row: ActiveSetting | None) -> dict[str, Any]:
    if row is None:
        return {**DEFAULTS, "enabled": False}
    return {
        "enabled": True,
        "strategy": row.strategy,
        "batch_size": row.batch_size,
        "control_share": row.control_share,
        "retrain_every": row.retrain_every,
        "embedding_model": row.embedding_model,
    }


def get(db: Session, project: Project) -> dict[str, Any]:
    return view(db.get(ActiveSetting, project.id))


def update(db: Session, project: Project, values: dict[str, Any]) -> dict[str, Any]:
    """Merge ``values`` into the project's settings (turning active learning on); flushes."""
    checked = check(values)
    row = db.get(ActiveSetting, project.id)
    if row is None:
        row = ActiveSetting(project_id=project.id, **{k: v for k, v in DEFAULTS.items()})
        db.add(row)
    for name, value in checked.items():
        setattr(row, name, float(value) if name == "control_share" else value)
    row.updated_at = utcnow()
    db.flush()
    return view(row)
