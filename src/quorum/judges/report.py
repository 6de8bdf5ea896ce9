"""The judges' section of the assistance report: per judge, agreement with the human consensus and with
individual people (Cohen's kappa and percent agreement, item-bootstrap intervals; ``core/judge_agreement``)
next to people's agreement with each other on the same items, and how often its verdict survived a swap
of the candidates. Everything is on the main question (the task type's first agreement question).
People's judgments are read from ``judgments`` only, which judges never write."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quorum.core import judge_agreement as ja
from quorum.core import judge_routing as rules
from quorum.judges import prompt, routing
from quorum.models import Judge, JudgeVerdict, Judgment, Project
from quorum.task_types import registry


def section(db: Session, project: Project, *, n_boot: int = ja.N_BOOT) -> dict[str, Any]:
    kind = registry.get(project.task_type)
    config = kind.parse_config(project.config)
    answers: dict[int, list[dict[str, Any]]] = defaultdict(list)
    people: dict[int, list[Hashable]] = defaultdict(list)
    query = select(Judgment.item_id, Judgment.answer).where(Judgment.project_id == project.id)
    for item_id, answer in db.execute(query.order_by(Judgment.id)):
        found = prompt.label(kind, config, answer)
        if found is not None:
            answers[item_id].append(answer)
            people[item_id].append(found)
    consensus: dict[int, Hashable] = {}
    for item_id, given in answers.items():
        agreed = kind.consensus(given, config).answer
        found = prompt.label(kind, config, agreed) if agreed is not None else None
        if found is not None:
            consensus[item_id] = found
    out = []
    for judge in db.scalars(select(Judge).where(Judge.project_id == project.id).order_by(Judge.id)):
        out.append(_judge(db, judge, kind, config, people, consensus, n_boot))
    return {"judges": out, "question": "main", "interval": "95% item bootstrap"}


def _judge(
    db: Session,
    judge: Judge,
    kind: Any,
    config: Any,
    people: dict[int, list[Hashable]],
    consensus: dict[int, Hashable],
    n_boot: int,
) -> dict[str, Any]:
    labels: dict[int, Hashable] = {}
    invalid = both_orders = consistent = confident = 0
    policy = routing.policy_of(judge)
    query = select(
        JudgeVerdict.item_id, JudgeVerdict.answer, JudgeVerdict.consistent, JudgeVerdict.confidence
    ).where(JudgeVerdict.judge_id == judge.id)
    for item_id, answer, same, sure in db.execute(query):
        found = prompt.label(kind, config, answer) if answer is not None else None
        if found is None:
            invalid += 1
            continue
        labels[item_id] = found
        confident += int(rules.confident(policy, same, sure))
        if same is not None:
            both_orders += 1
            consistent += int(same)
    several = {i: ls for i, ls in people.items() if i in labels and len(ls) >= 2}
    vs_consensus = [ja.Pair(i, labels[i], c) for i, c in consensus.items() if i in labels]
    return {
        "model": judge.model_name,
        "verdicts": len(labels),
        "invalid": invalid,
        "order_consistency": {
            "judged_in_both_orders": both_orders,
            "consistent": consistent,
            "rate": round(consistent / both_orders, 4) if both_orders else None,
        },
        "vs_consensus": ja.as_dict(ja.agreement(vs_consensus, n_boot=n_boot)),
        "vs_humans": ja.as_dict(ja.agreement(ja.judge_pairs(labels, people), n_boot=n_boot)),
        "routing": {
            "on": judge.routing,
            "min_confidence": judge.route_min_confidence,
            "lowered_target": judge.route_lowered_target,
            "confident_verdicts": confident,
        },
        "same_items": {
            "items": len(several),
            "judge_vs_humans": ja.as_dict(ja.agreement(ja.judge_pairs(labels, several), n_boot=n_boot)),
            "human_vs_human": ja.as_dict(ja.agreement(ja.human_pairs(several), n_boot=n_boot)),
        },
    }
