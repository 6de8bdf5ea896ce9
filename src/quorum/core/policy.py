"""The assignment policy as pure data: who may get which item, and in what order.

This is the reference the queue's SQL mirrors (``assignments/queue.py``); ``tests/test_core_policy.py``
checks the rules with hypothesis and ``tests/test_queue_sql_vs_policy.py`` checks the SQL claim against
``choose`` on random small states.

An annotator may work in a project when the project is active, they meet its expertise rule, they pass
its quality gate (gold accuracy not under the threshold once enough gold is scored), and they hold fewer
live leases than the project allows. An item is eligible for them when it is open, they have no
assignment on it at all (judged, skipped, leased now or a lease that ran out: nobody sees an item twice),
it is not pinned to other people only, and its judgments plus live leases are under its overlap target.
Among eligible items the highest priority wins, then the oldest (lowest id).

Overlap may be adaptive: an item's target starts at the project's overlap; when its judgments reach the
target and the project allows more (``overlap_max``), a pluggable rule says whether the answers so far are
conclusive; if not, the target grows by one.

Gold items (a hidden known answer) are served at the project's gold rate: each claim first draws whether
it is a gold turn. A gold turn takes the best eligible gold item, or ordinary work when the annotator has
seen every gold item; an ordinary turn never hands out gold, so gold is never all that is left to see.
Gold items ignore the overlap (everyone may be scored on them) and never complete.

Qualification: a project may require passing a qualification set (``qualification_size`` gold items).
Until an annotator's current attempt holds that many scored gold judgments, every claim is a gold turn
that hands out gold only (never ordinary work); when too few unseen gold items are left to finish the
attempt, the claim is refused (the annotator is told to ask a manager) rather than falling back to
ordinary work. The mean score of the attempt's first ``qualification_size`` gold judgments then decides:
at least ``qualification_threshold`` passes (ordinary work follows, gold at the gold rate as before),
under it fails, and a failed annotator gets no more work in the project until a manager resets them,
which starts a new attempt. Gold is still never served twice to one person, across attempts too (one
judgment per person and item), so a retake needs gold the annotator has not seen.

Flags: when ``flag_threshold`` different people hold open (unresolved) flags on an open item, it becomes
``flagged`` and leaves the queue (only open items are served) until a manager resolves the flags; then
it is open again, unless it completed meanwhile. No threshold (the default): flags never remove an item.

The project's side of every rule is ``ProjectPolicy`` (``core/project_policy.py``), the same model the API,
the settings page and the CLI validate with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

# Re-exported: the pure rules below take it, and their callers import it from here.
from quorum.core.project_policy import ProjectPolicy as ProjectPolicy


class Reason(StrEnum):
    ELIGIBLE = "eligible"
    PROJECT_INACTIVE = "project_inactive"
    EXPERTISE = "expertise"
    QUALIFICATION_FAILED = "qualification_failed"
    QUALITY_GATE = "quality_gate"
    LEASE_LIMIT = "lease_limit"
    ITEM_CLOSED = "item_closed"
    ALREADY_SEEN = "already_seen"
    PINNED_ELSEWHERE = "pinned_elsewhere"
    FULL = "full"


@dataclass(frozen=True)
class AnnotatorState:
    expertise: Mapping[str, int] = field(default_factory=dict)
    live_leases: int = 0
    gold_judged: int = 0
    gold_accuracy: float | None = None
    """Mean gold score, None before the first gold judgment."""
    qualification: str = "pending"
    """The current qualification attempt: ``pending``, ``passed`` or ``failed`` (unused when the project
    requires none)."""
    qualification_judged: int = 0
    """Scored gold judgments in the current attempt."""


@dataclass(frozen=True)
class ItemState:
    id: int
    status: str = "open"
    priority: float = 0.0
    judgments: int = 0
    live_leases: int = 0
    seen: bool = False
    """This annotator already has an assignment on the item, of any status."""
    gold: bool = False
    target: int | None = None
    """The item's own overlap target once adaptive overlap raised it; None: the project's overlap."""
    pinned: bool = False
    """A manager reserved the item for named annotators..."""
    pinned_to_me: bool = False
    """...and this annotator is one of them."""


def target_of(project: ProjectPolicy, item: ItemState) -> int:
    return item.target if item.target is not None else project.overlap


def meets_expertise(required: Mapping[str, int], expertise: Mapping[str, int]) -> bool:
    return all(expertise.get(tag, 0) >= level for tag, level in required.items())


def passes_quality_gate(project: ProjectPolicy, annotator: AnnotatorState) -> bool:
    if project.min_gold_accuracy is None or annotator.gold_judged < project.min_gold_judged:
        return True
    return annotator.gold_accuracy is None or annotator.gold_accuracy >= project.min_gold_accuracy


def requires_qualification(project: ProjectPolicy) -> bool:
    return bool(project.qualification_size)


def qualifying(project: ProjectPolicy, annotator: AnnotatorState) -> bool:
    """The annotator is taking the project's qualification: every claim serves gold only."""
    return requires_qualification(project) and annotator.qualification == "pending"


def qualification_outcome(project: ProjectPolicy, scores: Sequence[float]) -> tuple[str, float | None]:
    """An attempt's status and score from its gold scores in the order they were made: ``pending`` until
    ``qualification_size`` of them, then the mean of the first ``qualification_size`` decides."""
    size = project.qualification_size or 0
    if not size:
        return "passed", None
    if not scores:
        return "pending", None
    counted = list(scores[:size])
    mean = sum(counted) / len(counted)
    if len(counted) < size:
        return "pending", mean
    return ("passed" if mean >= project.qualification_threshold else "failed"), mean


def annotator_reason(project: ProjectPolicy, annotator: AnnotatorState) -> Reason:
    """Whether this annotator may receive a new lease in the project at all."""
    if not project.active:
        return Reason.PROJECT_INACTIVE
    if not meets_expertise(project.required_expertise, annotator.expertise):
        return Reason.EXPERTISE
    if requires_qualification(project) and annotator.qualification == "failed":
        return Reason.QUALIFICATION_FAILED
    if not passes_quality_gate(project, annotator):
        return Reason.QUALITY_GATE
    if annotator.live_leases >= project.max_leases:
        return Reason.LEASE_LIMIT
    return Reason.ELIGIBLE


def item_reason(project: ProjectPolicy, item: ItemState) -> Reason:
    """Whether one item may be leased to the annotator whose view ``item`` is."""
    if item.status != "open":
        return Reason.ITEM_CLOSED
    if item.seen:
        return Reason.ALREADY_SEEN
    if item.pinned and not item.pinned_to_me:
        return Reason.PINNED_ELSEWHERE
    if not item.gold and item.judgments + item.live_leases >= target_of(project, item):
        return Reason.FULL
    return Reason.ELIGIBLE


def eligibility(project: ProjectPolicy, annotator: AnnotatorState, item: ItemState) -> Reason:
    reason = annotator_reason(project, annotator)
    return reason if reason is not Reason.ELIGIBLE else item_reason(project, item)


def order_key(item: ItemState) -> tuple[float, int]:
    """Highest priority first, then oldest first."""
    return (-item.priority, item.id)


def is_gold_turn(project: ProjectPolicy, draw: float) -> bool:
    """``draw`` is uniform in [0, 1): a claim is a gold turn with probability ``gold_rate``."""
    return draw < project.gold_rate


def qualification_short(
    project: ProjectPolicy, annotator: AnnotatorState, items: Iterable[ItemState]
) -> bool:
    """While qualifying: fewer eligible gold items are left than the attempt still needs (its size less
    the gold judged in it and the leases held). The claim is refused rather than served ordinary work."""
    if not qualifying(project, annotator):
        return False
    needed = (project.qualification_size or 0) - annotator.qualification_judged - annotator.live_leases
    available = sum(1 for i in items if i.gold and item_reason(project, i) is Reason.ELIGIBLE)
    return available < needed


def choose(
    project: ProjectPolicy, annotator: AnnotatorState, items: Iterable[ItemState], *, gold_turn: bool = False
) -> int | None:
    """The item the claim must hand out, or None when nothing is eligible."""
    if annotator_reason(project, annotator) is not Reason.ELIGIBLE:
        return None
    eligible = [i for i in items if item_reason(project, i) is Reason.ELIGIBLE]
    if qualifying(project, annotator):
        # The qualification set: gold only, whatever the draw.
        gold = [i for i in eligible if i.gold]
        return min(gold, key=order_key).id if gold else None
    if gold_turn:
        gold = [i for i in eligible if i.gold]
        if gold:
            return min(gold, key=order_key).id
    ordinary = [i for i in eligible if not i.gold]
    return min(ordinary, key=order_key).id if ordinary else None


def gold_score(
    answer: Mapping[str, object], gold: Mapping[str, object], unordered: frozenset[str] = frozenset()
) -> float:
    """1.0 when the answer agrees with the gold answer on every field the gold answer sets, else 0.0.
    Lists compare in order (a ranking or per-step labels), except the fields named in ``unordered``,
    which compare as multisets (a task type names them, e.g. chosen labels)."""

    def same(key: str, a: object, b: object) -> bool:
        if key in unordered and isinstance(a, list) and isinstance(b, list):
            return sorted(map(repr, a)) == sorted(map(repr, b))
        return a == b

    return 1.0 if all(same(key, answer.get(key), value) for key, value in gold.items()) else 0.0


def flagged_out(project: ProjectPolicy, flaggers: int) -> bool:
    """Whether ``flaggers`` different people with open flags take an item out of the queue."""
    return project.flag_threshold is not None and flaggers >= project.flag_threshold


def next_target(project: ProjectPolicy, judgments: int, target: int, conclusive: bool) -> int | None:
    """After a judgment: the item's overlap target from now on, or None when the item is complete."""
    if judgments < target:
        return target
    if project.overlap_max is not None and judgments < project.overlap_max and not conclusive:
        return judgments + 1
    return None
