"""Aggregate many categorical answers per task into one label with a confidence.

Every method has the same signature::

    method(tasks, workers, labels, n_tasks, n_workers, n_labels) -> AggregationResult

on integer codes (``encoding.encode`` builds them from string ids) and accepts method-specific
keyword options after those. ``METHODS`` maps the names used by the CLI and services to them.
"""

from __future__ import annotations

from collections.abc import Callable

from numpy.typing import ArrayLike

from quorum.core.aggregation.bradley_terry import BradleyTerryResult, bradley_terry
from quorum.core.aggregation.dawid_skene import dawid_skene
from quorum.core.aggregation.encoding import Encoded, Encoder, encode
from quorum.core.aggregation.glad import glad
from quorum.core.aggregation.mace import mace
from quorum.core.aggregation.majority import majority_vote
from quorum.core.aggregation.result import AggregationResult

Aggregator = Callable[[ArrayLike, ArrayLike, ArrayLike, int, int, int], AggregationResult]

METHODS: dict[str, Aggregator] = {
    "mv": majority_vote,
    "ds": dawid_skene,
    "glad": glad,
    "mace": mace,
}

__all__ = [
    "METHODS",
    "AggregationResult",
    "Aggregator",
    "BradleyTerryResult",
    "Encoded",
    "Encoder",
    "bradley_terry",
    "dawid_skene",
    "encode",
    "glad",
    "mace",
    "majority_vote",
]
