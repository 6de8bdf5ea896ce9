"""Simulated judgments under the suggestion control with a planted anchoring tendency (pure NumPy).

Classification with ``k`` labels: each item has a true label; its suggestion is right with probability
``suggestion_accuracy`` (else a uniform wrong label). Each judgment is shown the suggestion with
probability ``share``; an annotator with tendency q takes a shown suggestion as it is with probability q,
whatever the truth, and otherwise answers as usual: right with probability ``accuracy``, else a uniform
wrong label. Gold items (``gold_share``) are shown a wrong probe at ``probe_rate`` of their shown
assignments. The known answer of the report follows (``expected_effect``), so a test or a benchmark can
check the estimate against the planted truth. The HTTP simulator (``annotator.Behaviour.anchoring``)
plants the same behaviour in real requests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quorum.core.suggestions_report import Judgments


@dataclass(frozen=True)
class Plan:
    n_items: int = 10_000
    per_item: int = 3
    n_annotators: int = 50
    k: int = 3
    accuracy: float = 0.8
    suggestion_accuracy: float = 0.7
    share: float = 0.8
    q: float = 0.3
    gold_share: float = 0.0
    probe_rate: float = 0.0

    def blind_agreement(self) -> float:
        """P(agree | blind): both right, or both wrong on the same one of the k - 1 wrong labels."""
        s, a = self.suggestion_accuracy, self.accuracy
        return s * a + (1 - s) * (1 - a) / (self.k - 1)

    def expected_effect(self) -> float:
        return self.q * (1 - self.blind_agreement())


def _wrong(rng: np.random.Generator, right: np.ndarray, k: int) -> np.ndarray:
    """A uniform label other than ``right``, per row."""
    out: np.ndarray = (right + rng.integers(1, k, size=right.shape)) % k
    return out


def simulate(
    plan: Plan, seed: int = 0, q_by_annotator: np.ndarray | None = None
) -> tuple[Judgments, list[str]]:
    rng = np.random.default_rng(seed)
    n = plan.n_items * plan.per_item
    truth = rng.integers(0, plan.k, size=plan.n_items)
    right = rng.random(plan.n_items) < plan.suggestion_accuracy
    suggestion = np.where(right, truth, _wrong(rng, truth, plan.k))
    gold_item = rng.random(plan.n_items) < plan.gold_share
    item = np.repeat(np.arange(plan.n_items), plan.per_item)
    annotator = rng.integers(0, plan.n_annotators, size=n)
    q = q_by_annotator if q_by_annotator is not None else np.full(plan.n_annotators, plan.q)
    shown = rng.random(n) < plan.share
    probe = shown & gold_item[item] & (rng.random(n) < plan.probe_rate)
    # What was shown: the item's suggestion, or on a probe a label the gold marks wrong.
    offered = np.where(probe, _wrong(rng, truth[item], plan.k), suggestion[item])
    own = np.where(rng.random(n) < plan.accuracy, truth[item], _wrong(rng, truth[item], plan.k))
    takes = shown & (rng.random(n) < q[annotator])
    answer = np.where(takes, offered, own)
    gold_score = np.where(gold_item[item], (answer == truth[item]).astype(np.float64), np.nan)
    # Taking a suggestion as it is is quick; answering takes a few seconds.
    time_ms = np.where(takes, rng.uniform(600, 2500, n), rng.uniform(2000, 20000, n))
    j = Judgments(
        item=item.astype(np.int64),
        annotator=annotator.astype(np.int64),
        shown=shown,
        probe=probe,
        agree=answer == offered,
        gold_score=gold_score,
        time_ms=time_ms,
    )
    return j, [f"sim-{a + 1:03d}" for a in range(plan.n_annotators)]
