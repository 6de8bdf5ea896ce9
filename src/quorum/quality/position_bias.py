"""Position bias of one annotator: of the answers that prefer one candidate, how many preferred the one
shown first (left, or top), tested against the chance of the first place (the rule is stated in
``quality.service``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Positions:
    """How many answers preferred one candidate, how many of them the first shown, and the sum of each
    answer's chance of the first place (1/k for k candidates shown)."""

    n: int = 0
    first: int = 0
    chance: float = 0.0

    def add(self, place: int, shown: int) -> None:
        """One answer that preferred the candidate at screen ``place`` (0 is first) of ``shown``."""
        self.n += 1
        self.first += place == 0
        self.chance += 1 / shown

    @property
    def first_share(self) -> float:
        return self.first / self.n

    def p_value(self) -> float:
        """Two-sided exact binomial test of the first-place count at the mean chance of the first place."""
        # Imported on first use: scipy.stats costs about half a second of start-up for every command and
        # for the server, and only the quality report needs it.
        from scipy.stats import binomtest

        return float(binomtest(self.first, self.n, self.chance / self.n).pvalue)
