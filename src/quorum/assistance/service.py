"""The assistance report: one section per kind of assistance, each ``section(db, project) -> dict``.

``SECTIONS`` is the one list: a new kind (AI critiques, AI judges) plugs in with one line there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.core.suggestions_report import FAST_ACCEPT_MS, Judgments, measure
from quorum.critiques import report as critiques_report
from quorum.judges import report as judges_report
from quorum.models import Judgment, Project, User
from quorum.suggestions.service import current_answers
from quorum.suggestions.serving import matches
from quorum.task_types import registry

Section = Callable[[Session, Project], dict[str, Any]]


def suggestions_section(db: Session, project: Project, *, n_boot: int = 1000) -> dict[str, Any]:
    """Acceptance, anchoring (shown vs blind), gold accuracy and time by arm, per-annotator probes."""
    kind = registry.get(project.task_type)
    config = kind.parse_config(project.config)
    current = current_answers(db, project)
    query = (
        select(
            Judgment.item_id, User.username, Judgment.answer, Judgment.assistance, Judgment.gold_score,
            Judgment.time_spent_ms,
        )
        .join(User, User.id == Judgment.user_id)
        # A JSON null (no assistance offered) is stored as JSON, not SQL NULL: such rows are skipped below.
        .where(Judgment.project_id == project.id, Judgment.assistance.is_not(None))
        .order_by(Judgment.id)
    )  # fmt: skip
    rows: list[tuple[int, str, bool, bool, bool, float, int]] = []
    for item_id, username, answer, arms, gold_score, spent in db.execute(query):
        arm = arms.get("suggestion") if isinstance(arms, dict) else None
        if arm == "shown":
            shown_answer = arms.get("answer")
            if not isinstance(shown_answer, dict):
                continue  # the item had no suggestion to show: nothing was shown
            agree = arms.get("accepted")
            if agree is None:
                agree = matches(kind, config, answer, shown_answer)
            probe = bool(arms.get("probe"))
        elif arm == "blind":
            found = current.get(item_id)
            if found is None:
                continue  # nothing to compare the blind answer with
            agree, probe = matches(kind, config, answer, found[1]), False
        else:
            continue
        score = float(gold_score) if gold_score is not None else float("nan")
        rows.append((item_id, username, arm == "shown", probe, bool(agree), score, spent))
    judgments, usernames = to_judgments(rows)
    return measure(
        judgments,
        usernames,
        flag_threshold=project.probe_flag_threshold,
        fast_ms=FAST_ACCEPT_MS,
        n_boot=n_boot,
    )


def to_judgments(rows: list[tuple[int, str, bool, bool, bool, float, int]]) -> tuple[Judgments, list[str]]:
    """Rows (item id, username, shown, probe, agree, gold score, time) as the arrays ``measure`` takes."""
    if not rows:
        empty = np.zeros(0)
        none = np.zeros(0, dtype=np.bool_)
        ints = np.zeros(0, dtype=np.int64)
        return Judgments(ints, ints, none, none, none, empty, empty), []
    items, users, shown, probe, agree, gold, spent = zip(*rows, strict=True)
    item_codes = np.unique(np.asarray(items, dtype=np.int64), return_inverse=True)[1]
    codes: dict[str, int] = {}
    user_codes = np.fromiter(
        (codes.setdefault(u, len(codes)) for u in users), dtype=np.int64, count=len(users)
    )
    j = Judgments(
        item=item_codes.astype(np.int64),
        annotator=user_codes.astype(np.int64),
        shown=np.asarray(shown, dtype=np.bool_),
        probe=np.asarray(probe, dtype=np.bool_),
        agree=np.asarray(agree, dtype=np.bool_),
        gold_score=np.asarray(gold, dtype=np.float64),
        time_ms=np.asarray(spent, dtype=np.float64),
    )
    return j, list(codes)


SECTIONS: dict[str, Section] = {
    "suggestions": suggestions_section,
    "critiques": critiques_report.section,
    "judges": judges_report.section,
}


def report(db: Session, project: Project) -> dict[str, Any]:
    return {name: section(db, project) for name, section in SECTIONS.items()}


def flagged(db: Session, project: Project) -> list[str]:
    """Annotators whose probe acceptance is over the project's threshold (for managers' pages)."""
    if project.probe_flag_threshold is None:
        return []
    section = suggestions_section(db, project, n_boot=0)
    return [a["username"] for a in section["annotators"] if a["flagged"]]
