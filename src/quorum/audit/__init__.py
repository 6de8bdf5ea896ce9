"""Audit trail: every change of data records who did what to which object."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from quorum.models import AuditEvent, User


def record(
    db: Session,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: int | None,
    *,
    project_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    db.add(
        AuditEvent(
            actor_id=actor.id if actor else None,
            action=action,
            object_type=object_type,
            object_id=object_id,
            project_id=project_id,
            data=data or {},
        )
    )
