"""Use cases for projects. Services flush but never commit: the caller's unit of work does."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from quorum import audit
from quorum.accounts.access import Role, find_project
from quorum.errors import Conflict, Invalid, NotFound
from quorum.models import Guideline, Item, Judgment, Membership, Project, User
from quorum.task_types import registry

STATUSES = ("draft", "active", "paused", "archived")
MAX_OVERLAP = 50


def _check_policies(overlap: int | None, lease_seconds: int | None, status: str | None) -> None:
    problems = []
    if overlap is not None and not 1 <= overlap <= MAX_OVERLAP:
        problems.append(("overlap", f"must be between 1 and {MAX_OVERLAP}"))
    if lease_seconds is not None and not 30 <= lease_seconds <= 7 * 24 * 3600:
        problems.append(("lease_seconds", "must be between 30 seconds and 7 days"))
    if status is not None and status not in STATUSES:
        problems.append(("status", f"must be one of {', '.join(STATUSES)}"))
    if problems:
        field, msg = problems[0]
        raise Invalid(f"{field} {msg}", [{"loc": [f], "field": f, "msg": m} for f, m in problems])


def create_project(
    db: Session,
    actor: User | None,
    *,
    name: str,
    task_type: str,
    config: dict[str, Any] | None = None,
    overlap: int = 1,
    lease_seconds: int = 900,
    guidelines: str = "",
    status: str = "active",
) -> Project:
    name = name.strip()
    if not name or len(name) > 200:
        raise Invalid(
            "name must be 1-200 characters", [{"loc": ["name"], "field": "name", "msg": "bad length"}]
        )
    _check_policies(overlap, lease_seconds, status)
    kind = registry.get(task_type)
    parsed = kind.parse_config(config)
    if db.scalar(select(Project.id).where(Project.name == name)) is not None:
        raise Conflict(f"a project named {name!r} already exists", {"field": "name"})
    project = Project(
        name=name,
        task_type=kind.name,
        config=parsed.model_dump(mode="json"),
        overlap=overlap,
        lease_seconds=lease_seconds,
        status=status,
        created_by_id=actor.id if actor else None,
    )
    db.add(project)
    db.flush()
    audit.record(
        db,
        actor,
        "project.create",
        "project",
        project.id,
        project_id=project.id,
        data={"name": name, "task_type": kind.name},
    )
    if guidelines:
        set_guidelines(db, actor, project, guidelines)
    return project


def update_project(db: Session, actor: User | None, project: Project, changes: dict[str, Any]) -> Project:
    """Apply a partial update (name, config, overlap, lease_seconds, status)."""
    allowed = {"name", "config", "overlap", "lease_seconds", "status"}
    unknown = set(changes) - allowed
    if unknown:
        raise Invalid(
            f"cannot change {', '.join(sorted(unknown))}",
            [{"loc": [k], "field": k, "msg": "not a changeable field"} for k in sorted(unknown)],
        )
    _check_policies(changes.get("overlap"), changes.get("lease_seconds"), changes.get("status"))
    if "config" in changes:
        has_judgments = db.scalar(select(Judgment.id).where(Judgment.project_id == project.id).limit(1))
        if has_judgments is not None:
            raise Conflict("the config cannot change once judgments exist; create a new project")
        changes["config"] = (
            registry.get(project.task_type).parse_config(changes["config"]).model_dump(mode="json")
        )
    if "name" in changes:
        taken = db.scalar(select(Project.id).where(Project.name == changes["name"], Project.id != project.id))
        if taken is not None:
            raise Conflict(f"a project named {changes['name']!r} already exists", {"field": "name"})
    for key, value in changes.items():
        setattr(project, key, value)
    if "overlap" in changes:
        _recount_status(db, project)
    audit.record(db, actor, "project.update", "project", project.id, project_id=project.id, data=changes)
    return project


def _recount_status(db: Session, project: Project) -> None:
    """A changed overlap reopens or completes items by their judgment counts."""
    done = Item.judgment_count >= project.overlap
    db.execute(
        update(Item)
        .where(Item.project_id == project.id, Item.status.in_(("open", "complete")))
        .values(status=case((done, "complete"), else_="open"))
    )


def all_projects(db: Session) -> list[Project]:
    return list(db.scalars(select(Project).order_by(Project.id)))


def list_projects(db: Session, user: User) -> list[tuple[Project, Role | None]]:
    if user.is_admin:
        rows = db.execute(
            select(Project, Membership.role)
            .outerjoin(Membership, (Membership.project_id == Project.id) & (Membership.user_id == user.id))
            .order_by(Project.id)
        )
    else:
        rows = db.execute(
            select(Project, Membership.role)
            .join(Membership, Membership.project_id == Project.id)
            .where(Membership.user_id == user.id)
            .order_by(Project.id)
        )
    return [(p, Role(r) if r else None) for p, r in rows]


def set_guidelines(db: Session, actor: User | None, project: Project, body: str) -> Guideline:
    """Every edit is a new version; judgments record the version they were made under."""
    project.guideline_version += 1
    guideline = Guideline(
        project_id=project.id,
        version=project.guideline_version,
        body=body,
        created_by_id=actor.id if actor else None,
    )
    db.add(guideline)
    db.flush()
    audit.record(
        db,
        actor,
        "guidelines.update",
        "project",
        project.id,
        project_id=project.id,
        data={"version": guideline.version},
    )
    return guideline


def guidelines(db: Session, project: Project, version: int | None = None) -> Guideline | None:
    query = select(Guideline).where(Guideline.project_id == project.id)
    if version is None:
        query = query.order_by(Guideline.version.desc()).limit(1)
    else:
        query = query.where(Guideline.version == version)
    return db.scalar(query)


def guideline_history(db: Session, project: Project) -> list[Guideline]:
    return list(
        db.scalars(
            select(Guideline).where(Guideline.project_id == project.id).order_by(Guideline.version.desc())
        )
    )


def add_member(db: Session, actor: User | None, project: Project, user: User, role: str) -> Membership:
    try:
        role_ = Role(role)
    except ValueError:
        raise Invalid(
            f"role must be one of {', '.join(r.value for r in Role)}",
            [{"loc": ["role"], "field": "role", "msg": "unknown role"}],
        ) from None
    membership = db.scalar(
        select(Membership).where(Membership.project_id == project.id, Membership.user_id == user.id)
    )
    if membership is None:
        membership = Membership(project_id=project.id, user_id=user.id, role=role_.value)
        db.add(membership)
    else:
        membership.role = role_.value
    db.flush()
    audit.record(
        db,
        actor,
        "member.set",
        "membership",
        membership.id,
        project_id=project.id,
        data={"user": user.username, "role": role_.value},
    )
    return membership


def remove_member(db: Session, actor: User | None, project: Project, user: User) -> None:
    membership = db.scalar(
        select(Membership).where(Membership.project_id == project.id, Membership.user_id == user.id)
    )
    if membership is None:
        raise NotFound(f"{user.username!r} is not a member of {project.name!r}")
    db.delete(membership)
    audit.record(
        db,
        actor,
        "member.remove",
        "membership",
        membership.id,
        project_id=project.id,
        data={"user": user.username},
    )


def members(db: Session, project: Project) -> list[tuple[User, Role]]:
    rows = db.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.project_id == project.id)
        .order_by(User.username)
    )
    return [(u, Role(r)) for u, r in rows]


__all__ = ["find_project"]
