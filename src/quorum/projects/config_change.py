"""Whether a project's config may change once it has judgments, and why not.

The rule is the one that keeps the data honest whatever the task type: a new config is accepted only if
every item, every judgment already made and every gold answer is still valid under it. Adding a label
keeps them all valid; removing or renaming a label that a judgment used leaves that judgment naming a
label that no longer exists, so the change is refused, naming the label, the item and how many judgments.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.errors import Conflict, Invalid, field_error
from quorum.models import Item, Judgment, Project
from quorum.task_types import registry

BATCH = 500


def _problem(exc: Invalid) -> str:
    details = exc.details if isinstance(exc.details, list) else []
    if details and isinstance(details[0], dict) and "msg" in details[0]:
        return f"{details[0].get('field')}: {details[0]['msg']}"
    return exc.message


def check_config_change(db: Session, project: Project, config: BaseModel) -> None:
    """Raise ``Conflict`` if an item, judgment or gold answer of ``project`` would be invalid under the
    already-parsed ``config``; the message names the first such judgment and counts them all."""
    kind = registry.get(project.task_type)
    payloads: dict[int, tuple[str, Any]] = {}
    for item_id, external_id, raw, gold in db.execute(
        select(Item.id, Item.external_id, Item.payload, Item.gold).where(Item.project_id == project.id)
    ):
        try:
            payload = kind.parse_payload(raw, config)
        except Invalid as exc:
            raise Conflict(
                f"the new config does not fit item {external_id!r}: {_problem(exc)}",
                [field_error("config", f"item {external_id}: {_problem(exc)}")],
            ) from None
        payloads[item_id] = (external_id, payload)
        if gold is not None:
            _check_answer(kind, gold, payload, config, f"the gold answer of item {external_id!r}")
    reasons: Counter[str] = Counter()
    first: dict[str, str] = {}
    query = select(Judgment.item_id, Judgment.answer).where(Judgment.project_id == project.id)
    for item_id, answer in db.execute(query.execution_options(yield_per=BATCH)):
        external_id, payload = payloads[item_id]
        try:
            kind.parse_answer(answer, payload, config)
        except Invalid as exc:
            reason = _problem(exc)
            reasons[reason] += 1
            first.setdefault(reason, external_id)
    if reasons:
        reason, count = reasons.most_common(1)[0]
        total = sum(reasons.values())
        message = (
            f"the new config would make {total} existing judgment(s) invalid, e.g. on item "
            f"{first[reason]!r}: {reason} ({count} like this); a label or criterion already used by "
            "judgments cannot be removed or renamed (adding one is fine)"
        )
        raise Conflict(message, [field_error("config", message)])


def _check_answer(kind: Any, answer: Any, payload: Any, config: BaseModel, what: str) -> None:
    try:
        kind.parse_answer(answer, payload, config)
    except Invalid as exc:
        message = f"the new config does not fit {what}: {_problem(exc)}"
        raise Conflict(message, [field_error("config", message)]) from None
