"""The assistance draw: shares honoured, probes only on gold suggested turns, no trace when off."""

from __future__ import annotations

import random
from dataclasses import dataclass

from quorum.core import assistance


@dataclass
class Shares:
    suggestion_share: float = 0.0
    probe_rate: float = 0.0
    critique_share: float = 0.0


def test_no_assistance_leaves_no_trace() -> None:
    assert assistance.draw(Shares(), gold=True, rng=random.Random(1)) is None


def test_the_shares_are_honoured_and_probes_are_gold_and_shown_only() -> None:
    rng = random.Random(7)
    policy = Shares(suggestion_share=0.8, probe_rate=0.5, critique_share=0.3)
    draws = [assistance.draw(policy, gold=i % 2 == 0, rng=rng) for i in range(4000)]
    assert all(d is not None for d in draws)
    shown = sum(d["suggestion"] == "shown" for d in draws if d)
    critiqued = sum(d["critique"] == "shown" for d in draws if d)
    assert 0.77 < shown / 4000 < 0.83
    assert 0.27 < critiqued / 4000 < 0.33
    probes = [(i, d) for i, d in enumerate(draws) if d and d["probe"]]
    assert all(i % 2 == 0 and d["suggestion"] == "shown" for i, d in probes)
    # Half of the shown gold turns: 2000 gold draws x 0.8 shown x 0.5.
    assert 720 < len(probes) < 880


def test_a_kind_with_share_zero_is_not_part_of_the_draw() -> None:
    arms = assistance.draw(Shares(critique_share=1.0), gold=False, rng=random.Random(0))
    assert arms == {"critique": "shown"}
    assert assistance.shown(arms, "critique") and not assistance.shown(arms, "suggestion")
