"""Use cases for projects. Services flush but never commit: the caller's unit of work does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, case, func, select, text, update
from sqlalchemy.orm import Session

from quorum import audit
from quorum.accounts.access import Role, find_project
from quorum.accounts.service import check_expertise
from quorum.assignments import overlap as overlap_rules
from quorum.assignments import qualification
from quorum.assignments.queue import end_leases
from quorum.core.project_policy import POLICY_FIELDS, ProjectPolicy
from quorum.errors import Conflict, Invalid, NotFound, field_error
from quorum.models import Flag, Guideline, Item, Judgment, Membership, Project, User
from quorum.models.item import GOLD_SQL
from quorum.projects.config_change import check_config_change
from quorum.task_types import registry
from quorum.task_types.base import parse

CHANGEABLE = frozenset({"name", "config", *POLICY_FIELDS})


def check_name(name: Any) -> str:
    """A project's name, the same rule on create and on rename: 1-200 characters once trimmed."""
    clean = name.strip() if isinstance(name, str) else ""
    if not clean or len(clean) > 200:
        raise Invalid(
            "name must be 1-200 characters",
            [field_error("name", "must be 1-200 characters")],
        )
    return clean


def check_policy(values: Mapping[str, Any]) -> ProjectPolicy:
    """``values`` as a ``ProjectPolicy`` (bounds and cross-field rules), with the checks that need more
    than the model: a known overlap rule, expertise tags and levels as users have them."""
    policy = parse(ProjectPolicy, dict(values), "project policy")
    overlap_rules.get(policy.overlap_rule)
    expertise = _check_rule(policy.required_expertise)
    return policy.model_copy(update={"required_expertise": expertise})


def _check_rule(rule: dict[str, Any]) -> dict[str, int]:
    """The expertise an annotator needs, e.g. ``{"math": 2}``: the same tags and levels as users have."""
    try:
        return check_expertise(rule)
    except Invalid as exc:
        details = [
            field_error(
                "required_expertise." + d["field"].split(".", 1)[-1],
                d["msg"],
                loc=["required_expertise", *d["loc"][1:]],
            )
            for d in exc.details
        ]
        raise Invalid(f"required_{exc.message}", details) from None


def create_project(
    db: Session,
    actor: User | None,
    *,
    name: str,
    task_type: str,
    config: dict[str, Any] | None = None,
    guidelines: str = "",
    **policy: Any,
) -> Project:
    """A new project; ``policy`` holds any ``ProjectPolicy`` fields (the rest take their defaults)."""
    name = check_name(name)
    settings = check_policy(policy)
    kind = registry.get(task_type)
    parsed = kind.parse_config(config)
    if db.scalar(select(Project.id).where(Project.name == name)) is not None:
        raise Conflict(f"a project named {name!r} already exists", {"field": "name"})
    project = Project(
        name=name,
        task_type=kind.name,
        config=parsed.model_dump(mode="json"),
        created_by_id=actor.id if actor else None,
        **settings.model_dump(),
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
    """Apply a partial update: ``name``, ``config`` and any ``ProjectPolicy`` field. A field given as
    ``None`` is set to none where the policy allows none, else refused; the result is validated as a
    whole, so cross-field rules hold. A changed overlap reopens or completes items; a changed flag
    threshold takes items out of the queue or returns them by their open flags."""
    unknown = set(changes) - CHANGEABLE
    if unknown:
        raise Invalid(
            f"cannot change {', '.join(sorted(unknown))}",
            [field_error(k, "not a changeable field", loc=[k]) for k in sorted(unknown)],
        )
    changes = dict(changes)
    if "name" in changes:
        changes["name"] = check_name(changes["name"])
    policy_changes = {k: v for k, v in changes.items() if k in POLICY_FIELDS}
    if policy_changes:
        current = {name: getattr(project, name) for name in POLICY_FIELDS}
        merged = check_policy({**current, **policy_changes})
        changes.update({k: getattr(merged, k) for k in policy_changes})
    if "config" in changes:
        if not isinstance(changes["config"], dict):
            raise Invalid(
                "config must be an object",
                [field_error("config", "must be an object")],
            )
        parsed = registry.get(project.task_type).parse_config(changes["config"])
        has_judgments = db.scalar(select(Judgment.id).where(Judgment.project_id == project.id).limit(1))
        if has_judgments is not None:
            # Safe changes (adding a label) pass; one that would orphan a judgment is refused, saying why.
            check_config_change(db, project, parsed)
        changes["config"] = parsed.model_dump(mode="json")
    if "name" in changes:
        taken = db.scalar(select(Project.id).where(Project.name == changes["name"], Project.id != project.id))
        if taken is not None:
            raise Conflict(f"a project named {changes['name']!r} already exists", {"field": "name"})
    for key, value in changes.items():
        setattr(project, key, value)
    if "overlap" in changes:
        _recount_status(db, project)
    if "flag_threshold" in changes:
        _reflag(db, project)
    audit.record(db, actor, "project.update", "project", project.id, project_id=project.id, data=changes)
    return project


def _recount_status(db: Session, project: Project) -> None:
    """A changed overlap reopens or completes items by their judgment counts (gold items stay open)."""
    target = func.coalesce(Item.overlap_target, project.overlap)
    done = and_(Item.judgment_count >= target, text(f"NOT ({GOLD_SQL})"))
    db.execute(
        update(Item)
        .where(Item.project_id == project.id, Item.status.in_(("open", "complete")))
        .values(status=case((done, "complete"), else_="open"))
    )


def _reflag(db: Session, project: Project) -> None:
    """A changed flag threshold: open items with enough flaggers leave the queue, flagged items with too
    few (or no threshold any more) return to it."""
    flaggers = (
        select(func.count(func.distinct(Flag.user_id)))
        .where(Flag.item_id == Item.id, Flag.resolved_at.is_(None))
        .correlate(Item)
        .scalar_subquery()
    )
    threshold = project.flag_threshold
    if threshold is None:
        db.execute(
            update(Item)
            .where(Item.project_id == project.id, Item.status == "flagged")
            .values(status="open")
            .execution_options(synchronize_session=False)
        )
        return
    db.execute(
        update(Item)
        .where(Item.project_id == project.id, Item.status == "flagged", flaggers < threshold)
        .values(status="open")
        .execution_options(synchronize_session=False)
    )
    db.execute(
        update(Item)
        .where(Item.project_id == project.id, Item.status == "open", flaggers >= threshold)
        .values(status="flagged")
        .execution_options(synchronize_session=False)
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
    """Every edit is a new version; judgments record the version they were made under. Publishing the
    body the latest version already has is not a new version (judgments would split for nothing)."""
    latest = guidelines(db, project)
    if latest is not None and _same_text(latest.body, body):
        return latest
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


def _same_text(a: str, b: str) -> bool:
    # A browser's textarea sends CRLF line ends, and may add or drop the final newline.
    return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()


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
            [field_error("role", "unknown role")],
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
    ended = end_leases(db, user, project_id=project.id)
    audit.record(
        db,
        actor,
        "member.remove",
        "membership",
        membership.id,
        project_id=project.id,
        data={"user": user.username, "leases_ended": ended},
    )


def reset_qualification(db: Session, actor: User | None, project: Project, user: User) -> None:
    """A new qualification attempt for ``user`` in the project; refused when it requires none."""
    if not project.qualification_size:
        raise Conflict(f"project {project.name!r} requires no qualification")
    if (
        db.scalar(
            select(Membership.id).where(Membership.project_id == project.id, Membership.user_id == user.id)
        )
        is None
    ):
        raise NotFound(f"{user.username!r} is not a member of {project.name!r}")
    qualification.reset(db, actor, project, user)


def members(db: Session, project: Project) -> list[tuple[User, Role]]:
    rows = db.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.project_id == project.id)
        .order_by(User.username)
    )
    return [(u, Role(r)) for u, r in rows]


__all__ = ["find_project"]
