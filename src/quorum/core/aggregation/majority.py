"""Majority vote with a fixed, row-order-independent tie rule."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from quorum.core.aggregation.result import AggregationResult, build_result, check_answers, label_counts


def majority_vote(
    tasks: ArrayLike,
    workers: ArrayLike,
    labels: ArrayLike,
    n_tasks: int,
    n_workers: int,
    n_labels: int,
) -> AggregationResult:
    """Each task takes its most voted label; confidence is that label's vote share.

    Tie rule (fixed; it does not depend on the order of the rows): among the labels tied for the
    most votes on a task, the winner is the label given most often in the whole data set; if that is
    tied too, the smallest label code (codes follow sorted label order, see ``encoding``).

    A worker's accuracy is the share of their answers that equal the chosen label.
    """
    data = check_answers(tasks, workers, labels, n_tasks, n_workers, n_labels)
    counts = label_counts(data)
    totals = counts.sum(axis=1, keepdims=True)
    shares = counts / np.maximum(totals, 1.0)
    if n_labels == 0:
        return build_result("mv", data, shares)
    overall = np.bincount(data.labels, minlength=n_labels)
    # Rank labels by (most frequent overall, then smallest code); rank 0 wins a tie.
    order = np.lexsort((np.arange(n_labels), -overall))
    rank = np.empty(n_labels, dtype=np.int64)
    rank[order] = np.arange(n_labels)
    tied = counts == counts.max(axis=1, keepdims=True)
    chosen = np.where(tied, rank[None, :], n_labels).argmin(axis=1).astype(np.int64)
    return build_result("mv", data, shares, labels=chosen, params={"priors": overall / max(data.size, 1)})
