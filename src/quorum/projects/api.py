from __future__ import annotations

from fastapi import APIRouter, status

from quorum.accounts import service as accounts
from quorum.accounts.access import MANAGE, VIEW, require_admin, role_in
from quorum.accounts.access import require_project as access
from quorum.assignments import qualification
from quorum.core.input_checks import Id
from quorum.errors import NotFound
from quorum.projects import service
from quorum.projects.schemas import (
    GuidelinesIn,
    GuidelinesOut,
    MemberIn,
    MemberOut,
    ProjectCreate,
    ProjectOut,
    ProjectUpdate,
    QualificationOut,
)
from quorum.web.deps import DB, CurrentUser

router = APIRouter(prefix="/api/v1/projects", tags=["projects"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_project(body: ProjectCreate, user: CurrentUser, db: DB) -> ProjectOut:
    require_admin(user)
    project = service.create_project(db, user, **body.model_dump())
    return ProjectOut.model_validate(project)


@router.get("")
def list_projects(user: CurrentUser, db: DB) -> list[ProjectOut]:
    return [
        ProjectOut.model_validate(p).model_copy(update={"role": r.value if r else None})
        for p, r in service.list_projects(db, user)
    ]


@router.get("/{ref}")
def get_project(ref: str, user: CurrentUser, db: DB) -> ProjectOut:
    project = access(db, user, ref, VIEW)
    role = role_in(db, user, project.id)
    return ProjectOut.model_validate(project).model_copy(update={"role": role.value if role else None})


@router.patch("/{ref}")
def update_project(ref: str, body: ProjectUpdate, user: CurrentUser, db: DB) -> ProjectOut:
    project = access(db, user, ref, MANAGE)
    service.update_project(db, user, project, body.model_dump(exclude_unset=True))
    return ProjectOut.model_validate(project)


@router.get("/{ref}/guidelines")
def get_guidelines(ref: str, user: CurrentUser, db: DB, version: Id | None = None) -> GuidelinesOut:
    project = access(db, user, ref, VIEW)
    found = service.guidelines(db, project, version)
    if found is None:
        raise NotFound(
            f"project {project.name!r} has no guidelines" + (f" version {version}" if version else "")
        )
    return GuidelinesOut.model_validate(found)


@router.get("/{ref}/guidelines/history")
def guideline_history(ref: str, user: CurrentUser, db: DB) -> list[GuidelinesOut]:
    project = access(db, user, ref, VIEW)
    return [GuidelinesOut.model_validate(g) for g in service.guideline_history(db, project)]


@router.put("/{ref}/guidelines")
def set_guidelines(ref: str, body: GuidelinesIn, user: CurrentUser, db: DB) -> GuidelinesOut:
    project = access(db, user, ref, MANAGE)
    return GuidelinesOut.model_validate(service.set_guidelines(db, user, project, body.body))


@router.get("/{ref}/members")
def list_members(ref: str, user: CurrentUser, db: DB) -> list[MemberOut]:
    project = access(db, user, ref, MANAGE)
    return [
        MemberOut(user_id=u.id, username=u.username, role=r.value) for u, r in service.members(db, project)
    ]


@router.put("/{ref}/members/{username}")
def set_member(ref: str, username: str, body: MemberIn, user: CurrentUser, db: DB) -> MemberOut:
    project = access(db, user, ref, MANAGE)
    member = accounts.get_user(db, username)
    membership = service.add_member(db, user, project, member, body.role)
    return MemberOut(user_id=member.id, username=member.username, role=membership.role)


@router.delete("/{ref}/members/{username}", status_code=status.HTTP_204_NO_CONTENT)
def remove_member(ref: str, username: str, user: CurrentUser, db: DB) -> None:
    project = access(db, user, ref, MANAGE)
    service.remove_member(db, user, project, accounts.get_user(db, username))


def _qualification_out(row: qualification.QualificationRow) -> QualificationOut:
    return QualificationOut(
        username=row.username,
        attempt=row.attempt,
        status=row.status,
        judged=row.judged,
        score=row.score,
        started_at=row.started_at,
        decided_at=row.decided_at,
    )


@router.get("/{ref}/qualifications")
def list_qualifications(ref: str, user: CurrentUser, db: DB) -> list[QualificationOut]:
    """Each annotator who started the project's qualification: their attempt, status and score."""
    project = access(db, user, ref, MANAGE)
    return [_qualification_out(row) for row in qualification.report(db, project)]


@router.post("/{ref}/qualifications/{username}/reset")
def reset_qualification(ref: str, username: str, user: CurrentUser, db: DB) -> QualificationOut:
    """Start a new qualification attempt for the annotator (after a failure, or to test them again)."""
    project = access(db, user, ref, MANAGE)
    member = accounts.get_user(db, username)
    service.reset_qualification(db, user, project, member)
    found = next(r for r in qualification.report(db, project) if r.username == member.username)
    return _qualification_out(found)
