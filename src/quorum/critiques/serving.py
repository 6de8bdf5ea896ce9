"""Critiques in the annotator loop: the comments a "shown" lease gets with ``next`` (never the model's
name; candidates in the lease's screen positions), and each comment's fate checked at submit against the
comments that lease was actually shown."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.core import assistance
from quorum.critiques.service import latest
from quorum.errors import Invalid, field_error
from quorum.models import Assignment, CritiqueProposal, Item

FATES = ("kept", "edited", "deleted")
SHOWN_KEY = "critique_id"
FATES_KEY = "critique_fates"


def _flatten(proposals: list[CritiqueProposal], order: list[int] | None) -> list[dict[str, Any]]:
    """The comments as shown: screen position by screen position, each proposal's comments in order."""
    by_candidate = {p.position: p for p in proposals}
    positions = order if order is not None else sorted(by_candidate)
    shown: list[dict[str, Any]] = []
    for screen, candidate in enumerate(positions):
        proposal = by_candidate.get(candidate)
        if proposal is None:
            continue
        for k, comment in enumerate(proposal.comments):
            shown.append(
                {
                    "index": len(shown),
                    "candidate": screen,
                    "quote": comment["quote"],
                    "start": comment["start"],
                    "end": comment["end"],
                    "severity": comment["severity"],
                    "comment": comment["comment"],
                    "_proposal": proposal.id,
                    "_comment": k,
                    "_identity": candidate,
                }
            )
    return shown


def public(comments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in c.items() if not k.startswith("_")} for c in comments]


def serve(
    db: Session, item: Item, assignment: Assignment, order: list[int] | None
) -> list[dict[str, Any]] | None:
    """The comments this lease shows, recording which proposals on the assignment; None when its arm is
    blind or there is nothing to show. No query at all unless the lease drew "shown"."""
    arms = assignment.assistance
    if not assistance.shown(arms, "critique") or arms is None:
        return None
    proposals = [p for p in latest(db, item.id).values() if p.comments]
    if SHOWN_KEY not in arms:
        # A new dict: the JSON column is not mutation-tracked.
        assignment.assistance = {**arms, SHOWN_KEY: sorted(p.id for p in proposals)}
    else:
        wanted = set(arms[SHOWN_KEY] or [])
        proposals = [p for p in proposals if p.id in wanted]
    comments = _flatten(proposals, order)
    return public(comments) or None


def shown_to(db: Session, assignment: Assignment, order: list[int] | None) -> list[dict[str, Any]]:
    ids = (assignment.assistance or {}).get(SHOWN_KEY) or []
    if not ids:
        return []
    proposals = list(db.scalars(select(CritiqueProposal).where(CritiqueProposal.id.in_(ids))))
    return _flatten(proposals, order)


def with_fates(
    db: Session, assignment: Assignment, order: list[int] | None, fates: list[dict[str, Any]] | None
) -> dict[str, Any] | None:
    """The judgment's ``assistance``: the lease's arms, plus each shown comment's fate (a comment the
    annotator did not decide is "unreviewed"). Refuses fates for comments that were not shown."""
    arms = assignment.assistance
    if not (arms or {}).get(SHOWN_KEY):
        if fates:
            raise Invalid(
                "no critique was shown on this assignment",
                [field_error("critique_fates", "no critique was shown on this assignment", at="body")],
            )
        return arms
    shown = shown_to(db, assignment, order)
    decided: dict[int, dict[str, Any]] = {}
    problems = []
    for i, fate in enumerate(fates or []):
        index = fate.get("index")
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(shown):
            problems.append(
                field_error(f"critique_fates.{i}.index", f"must be 0..{len(shown) - 1}", at="body")
            )
        elif index in decided:
            problems.append(field_error(f"critique_fates.{i}.index", "given twice", at="body"))
        elif fate.get("fate") not in FATES:
            problems.append(field_error(f"critique_fates.{i}.fate", "kept, edited or deleted", at="body"))
        else:
            decided[index] = fate
    if problems:
        raise Invalid(f"invalid critique_fates: {problems[0]['field']}: {problems[0]['msg']}", problems)
    records = []
    for comment in shown:
        fate = decided.get(comment["index"], {})
        record = {
            "index": comment["index"],
            "proposal_id": comment["_proposal"],
            "comment_index": comment["_comment"],
            "candidate": comment["_identity"],
            "start": comment["start"],
            "end": comment["end"],
            "fate": fate.get("fate", "unreviewed"),
            "source": "critic",
        }
        if fate.get("fate") == "edited" and isinstance(fate.get("comment"), str):
            record["edited_comment"] = fate["comment"][:4000]
        records.append(record)
    return {**(arms or {}), FATES_KEY: records}
