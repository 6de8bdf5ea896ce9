"""Which answer is an item's consensus: one order, for exports and the item page alike.

1. The item's **gold** answer: it is known, so its judgments score annotators and do not vote.
2. Else a reviewer's **correction** (the latest, ``quorum.reviews.decisions``): an expert label.
3. Else, when one was asked for, the **annotator model** fitted over the project (``mv``, ``ds``, ``glad``,
   ``mace``: ``quorum.consensus.service``).
4. Else the **task type's** own consensus.

Steps 3 and 4 count only the votes, the judgments that no reviewer rejected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quorum.task_types.base import Consensus, TaskType

if TYPE_CHECKING:
    # Only a type here: the annotator models bring NumPy and SciPy, which a plain export skips.
    from quorum.consensus.service import ProjectConsensus


def item_consensus(
    kind: TaskType[Any, Any, Any],
    config: Any,
    votes: list[dict[str, Any]],
    *,
    n_judgments: int,
    gold: Any = None,
    corrected: dict[str, Any] | None = None,
    model: ProjectConsensus | None = None,
    item_id: int = 0,
) -> Consensus:
    """The consensus of one item (``item_id`` names it to ``model``) with ``n_judgments`` judgments."""
    if gold is not None:
        return Consensus(gold, 1.0, "gold", n_judgments)
    if corrected is not None:
        return Consensus(corrected, 1.0, "review", n_judgments)
    if model is not None:
        return model.consensus(item_id, votes, kind, config)
    return kind.consensus(votes, config)
