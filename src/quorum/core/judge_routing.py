"""Judge-based routing as pure rules (``judges/routing.py`` applies them; the benchmark simulates them).

- **Lower**: an item whose judge verdict is order-consistent (or was asked in one order only) and at least
  ``min_confidence`` confident gets the overlap target ``lowered_target``, if that is under its current
  target and it has fewer judgments than that yet (an item is completed only by a submit).
- **Raise**: when the item's first human answer disagrees with a routing judge's verdict, the item asks
  for one more person: target + 1, but never past the project's ``overlap_max`` when it has one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    min_confidence: float = 0.8
    lowered_target: int = 1


def confident(policy: Policy, consistent: bool | None, confidence: float | None) -> bool:
    return consistent is not False and confidence is not None and confidence >= policy.min_confidence


def lowered(policy: Policy, target: int, judgments: int) -> int | None:
    """The new target of a confidently judged item, or None to leave it."""
    if policy.lowered_target < target and judgments < policy.lowered_target:
        return policy.lowered_target
    return None


def raised(target: int, overlap_max: int | None) -> int:
    """The target after the first person disagreed with the judge."""
    if overlap_max is not None and target + 1 > overlap_max:
        return target
    return target + 1
