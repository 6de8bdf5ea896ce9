"""Use cases for projects. Services flush but never commit: the caller's unit of work does."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, select, text, update
from sqlalchemy.orm import Session

from quorum import audit
from quorum.accounts.access import Role, find_project
from quorum.accounts.service import check_expertise
from quorum.assignments import overlap as overlap_rules
from quorum.assignments import qualification
from quorum.db.types import utcnow
from quorum.errors import Conflict, Invalid, NotFound
from quorum.models import Assignment, Flag, Guideline, Item, Judgment, Membership, Project, User
from quorum.models.item import GOLD_SQL
from quorum.task_types import registry

STATUSES = ("draft", "active", "paused", "archived")
MAX_OVERLAP = 50
# Short leases are for tests and simulations; real projects use minutes.
MIN_LEASE_SECONDS = 1
MAX_LEASE_SECONDS = 7 * 24 * 3600
MAX_LEASES = 100
MAX_QUALIFICATION = 1000
MAX_FLAG_THRESHOLD = 1000


def _check_policies(
    overlap: int | None,
    lease_seconds: int | None,
    status: str | None,
    max_leases: int | None = None,
    gold_rate: float | None = None,
    min_gold_accuracy: float | None = None,
    min_gold_judged: int | None = None,
    overlap_max: int | None = None,
    confidence_target: float | None = None,
    review_rate: float | None = None,
    review_confidence: float | None = None,
    qualification_size: int | None = None,
    qualification_threshold: float | None = None,
    flag_threshold: int | None = None,
) -> None:
    problems = []
    if qualification_size is not None and not 0 <= qualification_size <= MAX_QUALIFICATION:
        problems.append(("qualification_size", f"must be between 0 and {MAX_QUALIFICATION}"))
    if qualification_threshold is not None and not 0.0 <= qualification_threshold <= 1.0:
        problems.append(("qualification_threshold", "must be between 0 and 1"))
    if flag_threshold is not None and not 1 <= flag_threshold <= MAX_FLAG_THRESHOLD:
        problems.append(("flag_threshold", f"must be between 1 and {MAX_FLAG_THRESHOLD}"))
    if review_rate is not None and not 0.0 <= review_rate <= 1.0:
        problems.append(("review_rate", "must be between 0 and 1"))
    if review_confidence is not None and not 0.0 <= review_confidence <= 1.0:
        problems.append(("review_confidence", "must be between 0 and 1"))
    if overlap_max is not None and not 1 <= overlap_max <= MAX_OVERLAP:
        problems.append(("overlap_max", f"must be between 1 and {MAX_OVERLAP}"))
    if confidence_target is not None and not 0.0 <= confidence_target <= 1.0:
        problems.append(("confidence_target", "must be between 0 and 1"))
    if min_gold_accuracy is not None and not 0.0 <= min_gold_accuracy <= 1.0:
        problems.append(("min_gold_accuracy", "must be between 0 and 1"))
    if min_gold_judged is not None and not 1 <= min_gold_judged <= 10_000:
        problems.append(("min_gold_judged", "must be between 1 and 10000"))
    if gold_rate is not None and not 0.0 <= gold_rate <= 1.0:
        problems.append(("gold_rate", "must be between 0 and 1"))
    if max_leases is not None and not 1 <= max_leases <= MAX_LEASES:
        problems.append(("max_leases", f"must be between 1 and {MAX_LEASES}"))
    if overlap is not None and not 1 <= overlap <= MAX_OVERLAP:
        problems.append(("overlap", f"must be between 1 and {MAX_OVERLAP}"))
    if lease_seconds is not None and not MIN_LEASE_SECONDS <= lease_seconds <= MAX_LEASE_SECONDS:
        problems.append(("lease_seconds", "must be between 1 second and 7 days"))
    if status is not None and status not in STATUSES:
        problems.append(("status", f"must be one of {', '.join(STATUSES)}"))
    if problems:
        field, msg = problems[0]
        raise Invalid(f"{field} {msg}", [{"loc": [f], "field": f, "msg": m} for f, m in problems])


def _check_adaptive(overlap: int | None, overlap_max: int | None, rule: str | None) -> None:
    if rule is not None:
        overlap_rules.get(rule)
    if overlap is not None and overlap_max is not None and overlap_max < overlap:
        raise Invalid(
            "overlap_max must be at least the overlap",
            [{"loc": ["overlap_max"], "field": "overlap_max", "msg": "under the overlap"}],
        )


def _check_rule(rule: dict[str, Any] | None) -> dict[str, int]:
    """The expertise an annotator needs, e.g. ``{"math": 2}``: the same tags and levels as users have."""
    try:
        return check_expertise(rule or {})
    except Invalid as exc:
        details = [
            {
                **d,
                "loc": ["required_expertise", *d["loc"][1:]],
                "field": "required_expertise." + d["field"].split(".", 1)[-1],
            }
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
    overlap: int = 1,
    lease_seconds: int = 900,
    guidelines: str = "",
    status: str = "active",
    max_leases: int = 1,
    required_expertise: dict[str, Any] | None = None,
    gold_rate: float = 0.0,
    min_gold_accuracy: float | None = None,
    min_gold_judged: int = 5,
    overlap_max: int | None = None,
    overlap_rule: str = "agreement",
    confidence_target: float = 1.0,
    review_rate: float = 0.0,
    review_confidence: float | None = None,
    qualification_size: int | None = None,
    qualification_threshold: float = 0.8,
    flag_threshold: int | None = None,
) -> Project:
    name = name.strip()
    if not name or len(name) > 200:
        raise Invalid(
            "name must be 1-200 characters", [{"loc": ["name"], "field": "name", "msg": "bad length"}]
        )
    _check_policies(
        overlap,
        lease_seconds,
        status,
        max_leases,
        gold_rate,
        min_gold_accuracy,
        min_gold_judged,
        overlap_max,
        confidence_target,
        review_rate,
        review_confidence,
        qualification_size,
        qualification_threshold,
        flag_threshold,
    )
    _check_adaptive(overlap, overlap_max, overlap_rule)
    expertise_rule = _check_rule(required_expertise)
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
        max_leases=max_leases,
        required_expertise=expertise_rule,
        gold_rate=gold_rate,
        min_gold_accuracy=min_gold_accuracy,
        min_gold_judged=min_gold_judged,
        overlap_max=overlap_max,
        overlap_rule=overlap_rule,
        confidence_target=confidence_target,
        review_rate=review_rate,
        review_confidence=review_confidence,
        qualification_size=qualification_size or None,
        qualification_threshold=qualification_threshold,
        flag_threshold=flag_threshold,
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
    """Apply a partial update (name, config, overlap, lease_seconds, status, max_leases,
    required_expertise, gold_rate, min_gold_accuracy, min_gold_judged, overlap_max, overlap_rule,
    confidence_target, review_rate, review_confidence, qualification_size, qualification_threshold,
    flag_threshold). A qualification size of 0 means none; a changed flag threshold takes items out of
    the queue or returns them by their open flags."""
    allowed = {
        "name",
        "config",
        "overlap",
        "lease_seconds",
        "status",
        "max_leases",
        "required_expertise",
        "gold_rate",
        "min_gold_accuracy",
        "min_gold_judged",
        "overlap_max",
        "overlap_rule",
        "confidence_target",
        "review_rate",
        "review_confidence",
        "qualification_size",
        "qualification_threshold",
        "flag_threshold",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise Invalid(
            f"cannot change {', '.join(sorted(unknown))}",
            [{"loc": [k], "field": k, "msg": "not a changeable field"} for k in sorted(unknown)],
        )
    _check_policies(
        changes.get("overlap"),
        changes.get("lease_seconds"),
        changes.get("status"),
        changes.get("max_leases"),
        changes.get("gold_rate"),
        changes.get("min_gold_accuracy"),
        changes.get("min_gold_judged"),
        changes.get("overlap_max"),
        changes.get("confidence_target"),
        changes.get("review_rate"),
        changes.get("review_confidence"),
        changes.get("qualification_size"),
        changes.get("qualification_threshold"),
        changes.get("flag_threshold"),
    )
    if "qualification_threshold" in changes and changes["qualification_threshold"] is None:
        raise Invalid(
            "qualification_threshold must be a number between 0 and 1",
            [{"loc": ["qualification_threshold"], "field": "qualification_threshold", "msg": "required"}],
        )
    if changes.get("qualification_size") == 0:
        changes["qualification_size"] = None
    if {"overlap", "overlap_max", "overlap_rule"} & set(changes):
        _check_adaptive(
            changes.get("overlap", project.overlap),
            changes.get("overlap_max", project.overlap_max),
            changes.get("overlap_rule", project.overlap_rule),
        )
    if "required_expertise" in changes:
        changes["required_expertise"] = _check_rule(changes["required_expertise"])
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
    ended = end_leases(db, project, user)
    audit.record(
        db,
        actor,
        "member.remove",
        "membership",
        membership.id,
        project_id=project.id,
        data={"user": user.username, "leases_ended": ended},
    )


def end_leases(db: Session, project: Project, user: User) -> int:
    """Expire ``user``'s live leases in the project, so their slots go back to the pool now rather than
    when the leases run out; returns how many ended."""
    now = utcnow()
    result = db.execute(
        update(Assignment)
        .where(
            Assignment.project_id == project.id,
            Assignment.user_id == user.id,
            Assignment.status == "leased",
            Assignment.expires_at > now,
        )
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


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
