"""Adaptive overlap: rules that say whether an item's answers so far are conclusive.

A project names its rule (``overlap_rule``); when an item's judgments reach its target and the project
allows more (``overlap_max``), an inconclusive verdict raises the target by one. The built-in rule is
agreement: the task type's consensus confidence reaches the project's ``confidence_target`` (1.0, the
default, means unanimous). Other rules (model-based confidence) register here with ``rule``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from quorum.errors import Invalid
from quorum.task_types.base import Consensus

OverlapRule = Callable[[list[dict[str, Any]], Consensus, float], bool]
RULES: dict[str, OverlapRule] = {}


def rule(name: str) -> Callable[[OverlapRule], OverlapRule]:
    def add(fn: OverlapRule) -> OverlapRule:
        RULES[name] = fn
        return fn

    return add


@rule("agreement")
def agreement(answers: list[dict[str, Any]], consensus: Consensus, confidence_target: float) -> bool:
    return consensus.confidence >= confidence_target


def get(name: str) -> OverlapRule:
    try:
        return RULES[name]
    except KeyError:
        raise Invalid(
            f"overlap_rule must be one of {', '.join(sorted(RULES))}",
            [{"loc": ["overlap_rule"], "field": "overlap_rule", "msg": "unknown rule"}],
        ) from None
