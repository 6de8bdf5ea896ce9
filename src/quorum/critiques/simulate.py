"""A simulated critique experiment with a planted effect, written straight into a ``critique`` project:
items whose responses carry planted flaws, a critic's proposals (one comment on each flaw, plus nitpicks
that match none), and judgments by simulated annotators with each assignment's arm drawn at
``critique_share`` (as ``core/assistance.py`` draws it at claim). An annotator finds each flaw with
probability ``r0`` when blind and ``r1`` when shown the critique (by keeping the critic's comment on it),
and keeps each nitpick with probability ``nitpick_keep``. The report must recover r0, r1 and the share of
kept comments that match no flaw, nitpicks / (found flaws + nitpicks), from the rows alone.

Rows are written with one multi-row INSERT per table (the assignment rows are the leases the queue would
have made): it measures the estimator, not the queue, which its own tests and benchmarks cover."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from quorum.critiques import prompt
from quorum.critiques.serving import FATES_KEY, SHOWN_KEY
from quorum.db.types import utcnow
from quorum.models import Assignment, CritiqueProposal, Item, Judgment, Project, User

WORDS = ("alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "theta")


@dataclass(frozen=True)
class Plan:
    n_items: int
    r0: float
    r1: float
    share: float = 0.5
    flaws_per_item: int = 3
    nitpicks_per_item: int = 1
    nitpick_keep: float = 0.3
    judgments_per_item: int = 2
    seed: int = 0

    @property
    def expected_unmatched(self) -> float:
        kept_flaws = self.r1 * self.flaws_per_item
        kept_nitpicks = self.nitpick_keep * self.nitpicks_per_item
        total = kept_flaws + kept_nitpicks
        return kept_nitpicks / total if total else 0.0


def _response(rng: random.Random, i: int, plan: Plan) -> tuple[str, list[str], list[str]]:
    flaws = [f"BUG{i}_{k}" for k in range(plan.flaws_per_item)]
    nitpicks = [f"NIT{i}_{k}" for k in range(plan.nitpicks_per_item)]
    parts = [*flaws, *nitpicks]
    rng.shuffle(parts)
    filler = " ".join(rng.choice(WORDS) for _ in range(4))
    return f"{filler} " + f" {filler} ".join(parts) + f" {filler}", flaws, nitpicks


def plant(db: Session, project: Project, annotators: list[User], plan: Plan) -> None:
    """Writes the experiment (flushes, never commits)."""
    if len(annotators) < plan.judgments_per_item:
        raise ValueError("need at least judgments_per_item annotators")
    rng = random.Random(plan.seed)
    now = utcnow()
    texts = [_response(rng, i, plan) for i in range(plan.n_items)]
    item_rows = [
        {
            "project_id": project.id, "external_id": f"sim{i}", "priority": 0.0, "status": "complete",
            "judgment_count": plan.judgments_per_item, "created_at": now,
            "payload": {"prompt": f"task {i}", "response": text},
            "meta": {"inserted_flaws": [{"quote": q} for q in flaws]},
        }
        for i, (text, flaws, _) in enumerate(texts)
    ]  # fmt: skip
    item_ids = list(db.scalars(insert(Item).returning(Item.id, sort_by_parameter_order=True), item_rows))
    proposal_rows: list[dict[str, Any]] = []
    for item_id, (text, flaws, nitpicks) in zip(item_ids, texts, strict=True):
        comments = [
            {"quote": q, "start": text.index(q), "end": text.index(q) + len(q), "severity": "major", "comment": "x"}
            for q in [*flaws, *nitpicks]
        ]  # fmt: skip
        proposal_rows.append(
            {
                "project_id": project.id, "item_id": item_id, "position": 0, "job_id": None,
                "model_call_id": None, "model_name": "sim-critic", "remote_model": "sim-critic",
                "template_version": prompt.TEMPLATE_VERSION, "params": {}, "comments": comments,
                "dropped": [], "error": None, "created_at": now,
            }
        )  # fmt: skip
    proposal_ids = list(
        db.scalars(
            insert(CritiqueProposal).returning(CritiqueProposal.id, sort_by_parameter_order=True),
            proposal_rows,
        )
    )
    leases: list[dict[str, Any]] = []
    answers: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for item_id, proposal_id, (text, flaws, _nitpicks), proposal in zip(
        item_ids, proposal_ids, texts, proposal_rows, strict=True
    ):
        for user in rng.sample(annotators, plan.judgments_per_item):
            shown = rng.random() < plan.share
            arms: dict[str, Any] = {"critique": "shown" if shown else "blind"}
            issues = []
            if shown:
                fates = []
                for index, c in enumerate(proposal["comments"]):
                    keep = rng.random() < (plan.r1 if c["quote"] in flaws else plan.nitpick_keep)
                    fates.append(
                        {"index": index, "proposal_id": proposal_id, "comment_index": index, "candidate": 0,
                         "start": c["start"], "end": c["end"], "fate": "kept" if keep else "deleted",
                         "source": "critic"}
                    )  # fmt: skip
                    if keep:
                        issues.append({k: c[k] for k in ("quote", "start", "end", "severity", "comment")})
                arms = {**arms, SHOWN_KEY: [proposal_id], FATES_KEY: fates}
            else:
                for q in flaws:
                    if rng.random() < plan.r0:
                        start = text.index(q)
                        issues.append(
                            {
                                "quote": q,
                                "start": start,
                                "end": start + len(q),
                                "severity": "major",
                                "comment": "found",
                            }
                        )
            answer = {"no_issues": not issues, "issues": issues}
            leases.append(
                {"project_id": project.id, "item_id": item_id, "user_id": user.id, "status": "submitted",
                 "expires_at": now + timedelta(minutes=15), "finished_at": now, "created_at": now,
                 "order_seed": 0, "assistance": {"critique": arms["critique"]}}
            )  # fmt: skip
            answers.append((answer, arms))
    lease_ids = list(
        db.scalars(insert(Assignment).returning(Assignment.id, sort_by_parameter_order=True), leases)
    )
    judgment_rows = [
        {
            "project_id": project.id, "item_id": lease["item_id"], "assignment_id": lease_id,
            "user_id": lease["user_id"], "answer": answer, "time_spent_ms": 1000, "guideline_version": 1,
            "assistance": arms, "created_at": now,
        }
        for lease_id, lease, (answer, arms) in zip(lease_ids, leases, answers, strict=True)
    ]  # fmt: skip
    db.execute(insert(Judgment), judgment_rows)
    db.flush()


def annotators_of(db: Session, usernames: list[str]) -> list[User]:
    return list(db.scalars(select(User).where(User.username.in_(usernames)).order_by(User.id)))
