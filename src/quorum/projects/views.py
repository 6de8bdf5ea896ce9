"""Pages: the project list, creating a project, its dashboard and settings, and uploading items."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from quorum.accounts import service as accounts
from quorum.accounts.access import ANNOTATE, MANAGE, REVIEW, Role, require_admin, require_project
from quorum.assignments import qualification
from quorum.core.project_policy import ProjectPolicy
from quorum.errors import QuorumError
from quorum.exports.service import formats
from quorum.flags.service import open_flags
from quorum.generation import service as generation
from quorum.items import importer
from quorum.items.service import waiting_for
from quorum.models import User
from quorum.projects import chart_stats, config_form, guideline_diff, policy_text, service, stats
from quorum.reviews.service import waiting_count
from quorum.task_types import registry
from quorum.web.bar_charts import bar_chart
from quorum.web.charts import line_chart
from quorum.web.confirm import confirm_page, is_confirmed
from quorum.web.deps import DB, PageUser
from quorum.web.forms import CSRF
from quorum.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, user: PageUser, db: DB) -> Response:
    rows = []
    for project, role in service.list_projects(db, user):
        can_manage = user.is_admin or role == Role.MANAGER
        rows.append(
            {
                "project": project,
                "role": role.value if role else None,
                "can_manage": can_manage,
                "can_work": role in ANNOTATE,
                "waiting": waiting_for(db, user, project),
                "review_waiting": waiting_count(db, user, project)
                if user.is_admin or role in REVIEW
                else None,
            }
        )
    return render(request, "home.html", {"rows": rows})


def _field_errors(exc: QuorumError) -> dict[str, str]:
    errors: dict[str, str] = {}
    details = (
        exc.details
        if isinstance(exc.details, list)
        else [exc.details]
        if isinstance(exc.details, dict)
        else []
    )
    for detail in details:
        field = str(detail.get("field", "")).split(".")[0] or "name"
        errors.setdefault(
            field, f"{detail.get('field')}: {detail['msg']}" if "msg" in detail else exc.message
        )
    return errors or {"name": exc.message}


@router.get("/projects/new")
def new_project_page(request: Request, user: PageUser) -> Response:
    require_admin(user)
    types = registry.all_types()
    form = {
        "task_type": types[0].name,
        "overlap": str(ProjectPolicy.model_fields["overlap"].default),
        "lease_seconds": str(ProjectPolicy.model_fields["lease_seconds"].default),
        "config": json.dumps(types[0].example()["config"], indent=2, ensure_ascii=False),
    }
    return render(request, "projects/new.html", _new_context(form, {}))


def _new_context(form: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    types = registry.all_types()
    selected = form["task_type"] if form["task_type"] in {t.name for t in types} else types[0].name
    return {
        "types": types,
        "errors": errors,
        "form": form,
        "policy": _by_name(),
        "config_forms": [
            (t.name, config_form.config_fields(t, _typed(form["config"]) if t.name == selected else None))
            for t in types
        ],
        "selected": selected,
        "config_text": form["config"],
    }


def _typed(text: str) -> dict[str, Any] | None:
    """The config as typed, if it is a JSON object: the generated fields then show it."""
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _by_name() -> dict[str, policy_text.PolicyField]:
    return {f.name: f for f in policy_text.policy_fields()}


@router.post("/projects/new", dependencies=[CSRF])
def create_project(
    request: Request,
    user: PageUser,
    db: DB,
    name: Annotated[str, Form()],
    task_type: Annotated[str, Form()],
    config: Annotated[str, Form()] = "{}",
    overlap: Annotated[str, Form()] = "1",
    lease_seconds: Annotated[str, Form()] = "900",
    guidelines: Annotated[str, Form()] = "",
) -> Response:
    require_admin(user)
    # Read as text like the settings form: the model then names a bad value next to its field.
    policy = policy_text.changes_from_text({"overlap": overlap, "lease_seconds": lease_seconds})
    form = {
        "name": name,
        "task_type": task_type,
        "config": config,
        "overlap": overlap,
        "lease_seconds": lease_seconds,
        "guidelines": guidelines,
    }
    try:
        parsed: Any = json.loads(config or "{}")
    except json.JSONDecodeError as exc:
        errors = {"config": f"not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}"}
        return render(request, "projects/new.html", _new_context(form, errors), status=422)
    try:
        with db.begin_nested():
            project = service.create_project(
                db,
                user,
                name=name,
                task_type=task_type,
                config=parsed,
                guidelines=guidelines,
                **policy,
            )
            service.add_member(db, user, project, user, "manager")
    except QuorumError as exc:
        return render(request, "projects/new.html", _new_context(form, _field_errors(exc)), status=exc.status)
    return RedirectResponse(f"/projects/{project.id}", status_code=303)


@router.get("/projects/{ref}")
def dashboard(request: Request, ref: str, user: PageUser, db: DB) -> Response:
    project = require_project(db, user, ref, MANAGE)
    board = stats.dashboard(db, project)
    return render(
        request,
        "projects/dashboard.html",
        {
            "project": project,
            "board": board,
            "flags": open_flags(db, project),
            "qualifications": qualification.report(db, project) if project.qualification_size else [],
            "chart": line_chart(board.progress),
            "charts": _charts(chart_stats.chart_data(db, project)),
            "formats": formats(project),
            "tab": "dashboard",
        },
    )


def _charts(data: chart_stats.ChartData) -> dict[str, Any]:
    question = data.question or "answer"
    return {
        "per_day": bar_chart(data.per_day, x_title="day (UTC)", y_title="judgments"),
        "time": bar_chart(data.time_per_item, x_title="time per item", y_title="judgments"),
        "answers": bar_chart(data.answers, x_title=question, y_title="judgments"),
        "agreement": bar_chart(
            data.agreement, x_title="day (UTC)", y_title="agree with majority", y_max=100, unit="%"
        ),
        "question": question,
    }


def _settings(
    request: Request,
    db: DB,
    project: Any,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
    form: dict[str, str] | None = None,
    member_form: dict[str, str] | None = None,
    config_text: str | None = None,
) -> Response:
    fields = policy_text.policy_fields()
    kind = registry.get(project.task_type)
    shown = project.config if config_text is None else _typed(config_text)
    # A refused form shows what was typed, so the mistake can be fixed in place.
    values = {f.name: policy_text.to_text(f, getattr(project, f.name)) for f in fields} | (form or {})
    history = service.guideline_history(db, project)
    return render(
        request,
        "projects/settings.html",
        {
            "project": project,
            "policy_fields": fields,
            "policy_values": values,
            "members": service.members(db, project),
            "history": history,
            "diffs": guideline_diff.history_diffs(history),
            "guidelines_unchanged": request.query_params.get("guidelines") == "unchanged",
            "config_forms": [(kind.name, config_form.config_fields(kind, shown))],
            "selected": kind.name,
            "config_text": json.dumps(project.config, indent=2, ensure_ascii=False)
            if config_text is None
            else config_text,
            "config_saved": request.query_params.get("config") == "saved",
            "roles": [r.value for r in Role],
            "tab": "settings",
            "errors": errors or {},
            # A new member is an annotator unless the manager picks otherwise; after an error the form
            # keeps what was typed.
            "member_form": member_form or {"username": "", "role": Role.ANNOTATOR.value},
            "saved": request.query_params.get("saved") == "1",
            "member_saved": request.query_params.get("member") == "added",
        },
        status=status,
    )


@router.get("/projects/{ref}/settings")
def settings_page(request: Request, ref: str, user: PageUser, db: DB) -> Response:
    return _settings(request, db, require_project(db, user, ref, MANAGE))


@router.post("/projects/{ref}/settings", dependencies=[CSRF])
async def save_settings(request: Request, ref: str, user: PageUser, db: DB) -> Response:
    """Every policy field the form sends; one left out keeps its value, a blank one means none."""
    form = await request.form()
    typed = {name: value for name, value in form.items() if isinstance(value, str)}
    return await run_in_threadpool(_save_settings, request, ref, user, db, typed)


def _save_settings(request: Request, ref: str, user: User, db: Session, form: dict[str, str]) -> Response:
    project = require_project(db, user, ref, MANAGE)
    try:
        with db.begin_nested():
            service.update_project(db, user, project, policy_text.changes_from_text(form))
    except QuorumError as exc:
        return _settings(request, db, project, errors=_field_errors(exc), status=exc.status, form=form)
    return RedirectResponse(f"/projects/{project.id}/settings?saved=1", status_code=303)


@router.post("/projects/{ref}/config", dependencies=[CSRF])
def save_config(
    request: Request, ref: str, user: PageUser, db: DB, config: Annotated[str, Form()] = "{}"
) -> Response:
    """Once judgments exist only a change every judgment survives is taken (adding a label); one that is
    refused says why beside the config, keeping what was typed."""
    project = require_project(db, user, ref, MANAGE)
    try:
        parsed: Any = json.loads(config or "{}")
    except json.JSONDecodeError as exc:
        message = f"not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}"
        return _settings(request, db, project, errors={"config": message}, status=422, config_text=config)
    try:
        with db.begin_nested():
            service.update_project(db, user, project, {"config": parsed})
    except QuorumError as exc:
        errors = {"config": _field_errors(exc).get("config", exc.message)}
        return _settings(request, db, project, errors=errors, status=exc.status, config_text=config)
    return RedirectResponse(f"/projects/{project.id}/settings?config=saved#project-config", status_code=303)


@router.post("/projects/{ref}/qualifications/{username}/reset", dependencies=[CSRF])
def reset_qualification(ref: str, username: str, user: PageUser, db: DB) -> Response:
    project = require_project(db, user, ref, MANAGE)
    service.reset_qualification(db, user, project, accounts.get_user(db, username))
    return RedirectResponse(f"/projects/{project.id}#qualification", status_code=303)


# Statuses that stop the work of everyone in the project: the page asks before setting them.
STOPPING = {"paused": "Pause", "archived": "Archive"}


@router.post("/projects/{ref}/status", dependencies=[CSRF])
def set_status(
    request: Request,
    ref: str,
    user: PageUser,
    db: DB,
    status: Annotated[str, Form()],
    confirmed: Annotated[str, Form()] = "",
) -> Response:
    project = require_project(db, user, ref, MANAGE)
    if status in STOPPING and project.status != status and not is_confirmed(confirmed):
        return confirm_page(
            request,
            action=f"/projects/{project.id}/status",
            message=f"{STOPPING[status]} {project.name}? Nobody gets work from it until it is active again.",
            button=f"{STOPPING[status]} the project",
            back=f"/projects/{project.id}",
            fields={"status": status},
        )
    service.update_project(db, user, project, {"status": status})
    return RedirectResponse(f"/projects/{project.id}", status_code=303)


@router.post("/projects/{ref}/guidelines", dependencies=[CSRF])
def save_guidelines(ref: str, user: PageUser, db: DB, body: Annotated[str, Form()]) -> Response:
    project = require_project(db, user, ref, MANAGE)
    before = project.guideline_version
    service.set_guidelines(db, user, project, body)
    # Said on the page: publishing the same text again made no new version.
    query = "?guidelines=unchanged" if project.guideline_version == before else ""
    return RedirectResponse(f"/projects/{project.id}/settings{query}#guidelines", status_code=303)


@router.post("/projects/{ref}/members", dependencies=[CSRF])
def add_member(
    request: Request,
    ref: str,
    user: PageUser,
    db: DB,
    username: Annotated[str, Form()],
    role: Annotated[str, Form()],
) -> Response:
    project = require_project(db, user, ref, MANAGE)
    try:
        with db.begin_nested():
            service.add_member(db, user, project, accounts.get_user(db, username.strip()), role)
    except QuorumError as exc:
        return _settings(
            request,
            db,
            project,
            errors={"member": exc.message},
            status=exc.status,
            member_form={"username": username, "role": role},
        )
    return RedirectResponse(f"/projects/{project.id}/settings?member=added#members", status_code=303)


@router.post("/projects/{ref}/members/{username}/remove", dependencies=[CSRF])
def remove_member(
    request: Request,
    ref: str,
    username: str,
    user: PageUser,
    db: DB,
    confirmed: Annotated[str, Form()] = "",
) -> Response:
    project = require_project(db, user, ref, MANAGE)
    member = accounts.get_user(db, username)
    if not is_confirmed(confirmed):
        return confirm_page(
            request,
            action=f"/projects/{project.id}/members/{member.username}/remove",
            message=f"Remove {member.username} from {project.name}? Their judgments stay; they get no more "
            "work here.",
            button=f"Remove {member.username}",
            back=f"/projects/{project.id}/settings#members",
        )
    service.remove_member(db, user, project, member)
    return RedirectResponse(f"/projects/{project.id}/settings#members", status_code=303)


@router.get("/projects/{ref}/upload")
def upload_page(request: Request, ref: str, user: PageUser, db: DB) -> Response:
    project = require_project(db, user, ref, MANAGE)
    example = registry.get(project.task_type).example()["item"]
    return render(
        request,
        "projects/upload.html",
        {"project": project, "tab": "upload", "example": json.dumps(example, ensure_ascii=False)},
    )


@router.post("/projects/{ref}/upload", dependencies=[CSRF])
async def upload(
    request: Request, ref: str, user: PageUser, db: DB, file: Annotated[UploadFile, File()]
) -> Response:
    project = require_project(db, user, ref, MANAGE)
    example = json.dumps(registry.get(project.task_type).example()["item"], ensure_ascii=False)
    context: dict[str, Any] = {
        "project": project,
        "tab": "upload",
        "example": example,
        "filename": file.filename,
    }
    with tempfile.TemporaryDirectory(prefix="quorum-upload-") as tmp:
        path = Path(tmp) / ("upload" + Path(file.filename or "").suffix)
        with path.open("wb") as out:
            while chunk := await file.read(1 << 20):
                out.write(chunk)
        try:
            # A savepoint: a rejected file leaves nothing behind, yet the page still renders the report.
            with db.begin_nested():
                context["report"] = importer.import_file(
                    db, user, project, path, max_field_bytes=request.app.state.settings.max_field_bytes
                )
        except QuorumError as exc:
            context["error"] = exc.message
            context["bad_rows"] = exc.details if isinstance(exc.details, list) else []
            return render(request, "projects/upload.html", context, status=exc.status)
    # Outside the savepoint, whose release would fire the queue's after-commit hook too early.
    context["generation_job"] = generation.after_import(db, project)
    return render(request, "projects/upload.html", context)
