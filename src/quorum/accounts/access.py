"""The one place that decides who may do what. Routes and commands never load a project without it."""

from __future__ import annotations

from enum import StrEnum
from functools import cache

from sqlalchemy import Integer, Select, String, and_, bindparam, or_, select
from sqlalchemy.orm import Session

from quorum.core.input_checks import as_id
from quorum.db.types import utcnow
from quorum.errors import Conflict, Forbidden, NotFound
from quorum.models import Assignment, Job, Membership, Project, User


class Role(StrEnum):
    MANAGER = "manager"
    REVIEWER = "reviewer"
    ANNOTATOR = "annotator"


# Who may do what inside a project; an admin may do everything everywhere.
MANAGE = frozenset({Role.MANAGER})
REVIEW = frozenset({Role.MANAGER, Role.REVIEWER})
ANNOTATE = frozenset({Role.ANNOTATOR, Role.REVIEWER, Role.MANAGER})
VIEW = frozenset(Role)


def role_in(db: Session, user: User, project_id: int) -> Role | None:
    role = db.scalar(
        select(Membership.role).where(Membership.project_id == project_id, Membership.user_id == user.id)
    )
    return Role(role) if role else None


def role_name(db: Session, user: User, project: Project) -> str | None:
    """The user's role in the project as text, for pages that show only what the role can use."""
    role = role_in(db, user, project.id)
    return role.value if role else None


def find_project(db: Session, ref: int | str) -> Project:
    """A project by id or by name (names made only of ASCII digits resolve as ids first)."""
    project = None
    if (project_id := as_id(ref)) is not None:
        project = db.get(Project, project_id)
    if project is None and isinstance(ref, str):
        project = db.scalar(select(Project).where(Project.name == ref))
    if project is None:
        raise NotFound(f"no project {ref!r}")
    return project


def require_admin(user: User) -> None:
    if not user.is_admin:
        raise Forbidden("only an admin may do this")


@cache
def _project_and_role_query(*, by_id: bool) -> Select[Project, str]:
    """Built once with bound parameters ``uid`` and ``ref``: building it per call cost as much CPU as
    sending it."""
    query = select(Project, Membership.role).outerjoin(
        Membership,
        and_(Membership.project_id == Project.id, Membership.user_id == bindparam("uid", type_=Integer)),
    )
    if by_id:
        return query.where(Project.id == bindparam("ref", type_=Integer))
    return query.where(Project.name == bindparam("ref", type_=String))


def _project_and_role(db: Session, user: User, ref: int | str) -> tuple[Project, Role | None]:
    """The project and the user's role in it, in one round trip (every annotator call starts here)."""
    found = None
    if (project_id := as_id(ref)) is not None:
        found = db.execute(_project_and_role_query(by_id=True), {"uid": user.id, "ref": project_id}).first()
    if found is None and isinstance(ref, str):
        found = db.execute(_project_and_role_query(by_id=False), {"uid": user.id, "ref": ref}).first()
    if found is None:
        raise NotFound(f"no project {ref!r}")
    return found[0], Role(found[1]) if found[1] else None


def check_role(
    user: User, project: Project, role: Role | str | None, allowed: frozenset[Role], *, ref: object = None
) -> None:
    """``role`` (the user's membership in ``project``, already loaded) allows ``allowed``. A non-member
    gets the same 404 as a missing project, so project names cannot be walked; a member whose role is
    not enough gets 403."""
    if user.is_admin:
        return
    if role is None:
        raise NotFound(f"no project {ref if ref is not None else project.id!r}")
    if Role(role) not in allowed:
        needed = " or ".join(sorted(r.value for r in allowed))
        raise Forbidden(f"this needs the {needed} role in project {project.name!r}; you are {role}")


def require_working(project: Project) -> None:
    """Work (next, submit, skip, flag) happens only in an active project."""
    if project.status != "active":
        raise Conflict(f"project {project.name!r} is {project.status}; no work is handed out")


def require_project(db: Session, user: User, ref: int | str, allowed: frozenset[Role]) -> Project:
    project, role = _project_and_role(db, user, ref)
    check_role(user, project, role, allowed, ref=ref)
    return project


def leased_items(db: Session, user: User, item_ids: list[int]) -> set[int]:
    """The items among ``item_ids`` on which ``user`` holds a live lease: until they submit, they see
    neither its gold answer nor other people's judgments of it, whatever their role."""
    if not item_ids:
        return set()
    return set(
        db.scalars(
            select(Assignment.item_id).where(
                Assignment.user_id == user.id,
                Assignment.item_id.in_(item_ids),
                Assignment.status == "leased",
                Assignment.expires_at > utcnow(),
            )
        )
    )


def can_see_gold(db: Session, user: User, project: Project) -> bool:
    return user.is_admin or role_in(db, user, project.id) in REVIEW


def _managed_projects(user: User) -> Select[int]:
    return select(Membership.project_id).where(Membership.user_id == user.id, Membership.role == Role.MANAGER)


def visible_jobs(db: Session, user: User) -> Select[Job]:
    """Jobs a user may see: their own and those of projects they manage; an admin sees all."""
    query = select(Job)
    if user.is_admin:
        return query
    return query.where(or_(Job.owner_id == user.id, Job.project_id.in_(_managed_projects(user))))


def require_job(db: Session, user: User, job_id: int) -> Job:
    """A job the user may see, cancel and download (its owner, its project's managers); anyone else gets
    the 404 of a missing job, so ids cannot be walked."""
    job = db.get(Job, job_id)
    if job is None or not (
        user.is_admin
        or job.owner_id == user.id
        or (job.project_id is not None and role_in(db, user, job.project_id) == Role.MANAGER)
    ):
        raise NotFound(f"no job {job_id}")
    return job
