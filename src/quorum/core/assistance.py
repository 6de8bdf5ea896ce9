"""The randomised control of model assistance: which arms one assignment gets, drawn once at claim.

Each kind of assistance (a suggestion, a critic's comments) is shown to a random share of assignments and
withheld from the rest; the draw is recorded on the assignment and copied to its judgment, so every effect
(anchoring, recall of planted flaws) is estimated against the blind arm. Probes are a sub-arm of shown
suggestions on gold items: a known-wrong suggestion that measures over-reliance.
"""

from __future__ import annotations

import random
from typing import Any, Literal, Protocol

Arm = Literal["shown", "blind"]


class AssistancePolicy(Protocol):
    suggestion_share: float
    probe_rate: float
    critique_share: float


def draw(policy: AssistancePolicy, *, gold: bool, rng: random.Random | None = None) -> dict[str, Any] | None:
    """The arms of one assignment, or None when the project offers no assistance (no trace at all).

    A kind with share 0 has no key: it was never part of the experiment for this assignment."""
    coin = rng.random if rng is not None else random.random
    arms: dict[str, Any] = {}
    if policy.suggestion_share > 0:
        shown = coin() < policy.suggestion_share
        arms["suggestion"] = "shown" if shown else "blind"
        arms["probe"] = bool(shown and gold and policy.probe_rate > 0 and coin() < policy.probe_rate)
    if policy.critique_share > 0:
        arms["critique"] = "shown" if coin() < policy.critique_share else "blind"
    return arms or None


def shown(arms: dict[str, Any] | None, kind: str) -> bool:
    """Whether this assignment's draw shows ``kind`` ("suggestion" or "critique")."""
    return arms is not None and arms.get(kind) == "shown"


def offers(arms: dict[str, Any] | None, kind: str) -> bool:
    """Whether this assignment's draw includes ``kind`` at all (shown or blind): the project offered it."""
    return arms is not None and kind in arms
