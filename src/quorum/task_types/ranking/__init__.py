"""Ranking: order K model responses to one conversation, best first, ties allowed when the project says so.

Answer shape: ``{"order": [[0], [2, 1]], "flags": {"1": ["unsafe"]}}``. ``order`` is a list of tiers, best
first; each tier holds 0-based candidate indexes, and a tier with several indexes is a tie. Every candidate
appears exactly once. ``flags`` maps a candidate index, written as a decimal string (JSON object keys are
strings; integer keys are accepted and turned into strings), to the project's flags that apply to it.
Indexes inside a tier are stored sorted: a tie has no inner order.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

from quorum.core.input_checks import as_id
from quorum.task_types.base import Consensus, ExportItem, ExportWriter, TaskType, refuse
from quorum.task_types.candidates import CandidateIn, ShuffledCandidates, blind, check_count
from quorum.task_types.chat import Message

MAX_CANDIDATES = 9  # one digit key per candidate in the form


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allow_ties: bool = Field(default=True, description="Annotators may put several candidates in one tier.")
    k: int | None = Field(
        default=None,
        ge=2,
        le=MAX_CANDIDATES,
        description="Candidates per generated item (K-set); none: every generation of the prompt, up to 9.",
    )
    flags: list[str] = Field(
        default_factory=list,
        max_length=9,
        description="Flags an annotator may set on each candidate, e.g. unsafe, off-topic.",
    )

    @field_validator("flags")
    @classmethod
    def _unique(cls, flags: list[str]) -> list[str]:
        if any(not flag.strip() for flag in flags):
            raise ValueError("flags must not be empty")
        if len(set(flags)) != len(flags):
            raise ValueError("flags must be unique")
        return flags


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages: list[Message] = Field(min_length=1)
    candidates: list[CandidateIn] = Field(
        default_factory=list,
        description=f"2 to {MAX_CANDIDATES}, or none: the item then awaits generated candidates.",
    )

    @field_validator("candidates")
    @classmethod
    def _count(cls, candidates: list[CandidateIn]) -> list[CandidateIn]:
        return check_count(candidates, 2, MAX_CANDIDATES)

    @model_validator(mode="after")
    def _ends_for_a_reply(self) -> Payload:
        if self.messages[-1].role == "assistant":
            raise ValueError("the conversation must end before the reply the candidates give")
        return self


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order: list[list[StrictInt]] = Field(
        min_length=1,
        description="Tiers of 0-based candidate indexes, best first; a tier of several is a tie.",
    )
    flags: dict[str, list[str]] = Field(
        default_factory=dict, description="Candidate index (as a string) -> the flags set on that candidate."
    )

    @field_validator("order")
    @classmethod
    def _tiers(cls, order: list[list[int]]) -> list[list[int]]:
        if any(not tier for tier in order):
            raise ValueError("a tier must hold at least one candidate")
        return [sorted(tier) for tier in order]

    @field_validator("flags", mode="before")
    @classmethod
    def _string_keys(cls, flags: Any) -> Any:
        if isinstance(flags, dict):
            return {
                str(k) if isinstance(k, int) and not isinstance(k, bool) else k: v for k, v in flags.items()
            }
        return flags


Problems = list[tuple[str, str]]


class Ranking(ShuffledCandidates, TaskType[Config, Payload, Answer]):
    name = "ranking"
    description = "Order several model responses to one conversation from best to worst (ties if allowed)."
    agreement_level = "ranking"
    config_model = Config
    payload_model = Payload
    answer_model = Answer

    def check_answer(self, answer: Answer, payload: Payload, config: Config) -> None:
        k = len(payload.candidates)
        problems: Problems = []
        seen: set[int] = set()
        for t, tier in enumerate(answer.order):
            if len(tier) > 1 and not config.allow_ties:
                problems.append((f"answer.order.{t}", "this project does not allow ties"))
            for index in tier:
                if not 0 <= index < k:
                    problems.append(
                        (f"answer.order.{t}", f"there is no candidate {index}; indexes run from 0 to {k - 1}")
                    )
                elif index in seen:
                    problems.append((f"answer.order.{t}", f"candidate {index} appears more than once"))
                seen.add(index)
        for index in range(k):
            if index not in seen:
                problems.append(("answer.order", f"candidate {index} is missing"))
        for key, flags in answer.flags.items():
            if as_id(key) is None or int(key) >= k:
                problems.append(
                    (f"answer.flags.{key}", f"not a candidate index; indexes run from 0 to {k - 1}")
                )
                continue
            for flag in flags:
                if flag not in config.flags:
                    problems.append(
                        (
                            f"answer.flags.{key}",
                            f"unknown flag {flag!r}; the project's flags are {config.flags}",
                        )
                    )
            if len(set(flags)) != len(flags):
                problems.append((f"answer.flags.{key}", "repeated flag"))
        refuse(problems)

    def candidate_slots(self, config: Config) -> tuple[int, int]:
        return (config.k, config.k) if config.k is not None else (2, MAX_CANDIDATES)

    def public_payload(self, payload: dict[str, Any]) -> dict[str, Any]:
        return blind(payload)

    def consensus(self, answers: list[dict[str, Any]], config: Config) -> Consensus:
        """Borda-style: each candidate's mean rank over the answers (tied candidates share the mean of the
        places they take), then candidates sorted by it; ``bt_scores`` adds each candidate's Bradley-Terry
        strength over the same answers. Candidates with equal mean rank share a tier, even
        where annotators may not tie: an even split carries no preference, and the pairs export skips it.
        Confidence is the mean Kendall tau-b between each answer and the consensus, mapped to [0, 1].
        Flags: a candidate keeps a flag a strict majority set on it."""
        n = len(answers)
        if n == 0:
            return Consensus(None, 0.0, "mean-rank", 0)
        k = sum(len(tier) for tier in answers[0]["order"])
        per_answer = [fractional_ranks(a["order"], k) for a in answers]
        means = [sum(r[i] for r in per_answer) / n for i in range(k)]
        order = tiers_from_scores(means)
        consensus_ranks = fractional_ranks(order, k)
        taus = [kendall_tau_b(r, consensus_ranks) for r in per_answer]
        confidence = sum((tau + 1) / 2 for tau in taus) / n
        counts: dict[str, dict[str, int]] = {}
        for a in answers:
            for key, flags in a.get("flags", {}).items():
                for flag in set(flags):
                    counts.setdefault(key, {}).setdefault(flag, 0)
                    counts[key][flag] += 1
        flags_out = {
            key: [f for f in config.flags if by_flag.get(f, 0) * 2 > n]
            for key, by_flag in sorted(counts.items(), key=lambda kv: int(kv[0]))
        }
        answer: dict[str, Any] = {
            "order": order,
            "flags": {key: flags for key, flags in flags_out.items() if flags},
            "mean_ranks": [round(m, 6) for m in means],
            "bt_scores": _bt_scores([self.comparisons(a) for a in answers], k),
        }
        return Consensus(answer, min(1.0, max(0.0, confidence)), "mean-rank", n)

    def exports(self) -> Mapping[str, ExportWriter]:
        return {"listwise": _listwise_rows, "pairs": _pair_rows}

    def to_canonical(self, answer: dict[str, Any], order: list[int]) -> dict[str, Any]:
        """Index ``p`` in the answer is the ``p``-th response shown, candidate ``order[p]`` once stored."""
        out = dict(answer)
        if isinstance(out.get("order"), list):
            out["order"] = [sorted(order[p] for p in tier) for tier in out["order"]]
        if isinstance(out.get("flags"), dict):
            moved = {str(order[int(key)]): flags for key, flags in out["flags"].items()}
            out["flags"] = dict(sorted(moved.items(), key=lambda kv: int(kv[0])))
        return out

    def comparisons(self, answer: dict[str, Any]) -> list[tuple[int, int, float]]:
        place: dict[int, int] = {}
        for tier, members in enumerate(answer.get("order") or []):
            for index in members:
                place[int(index)] = tier
        indexes = sorted(place)
        return [
            (a, b, 1.0 if place[a] < place[b] else 0.0 if place[a] > place[b] else 0.5)
            for i, a in enumerate(indexes)
            for b in indexes[i + 1 :]
        ]

    def ranks(self, answer: dict[str, Any]) -> list[float]:
        order: list[list[int]] = answer.get("order") or []
        return fractional_ranks(order, sum(len(tier) for tier in order))

    def random_answer(self, config: Config, payload: dict[str, Any], rng: random.Random) -> dict[str, Any]:
        indexes = list(range(len(payload["candidates"])))
        rng.shuffle(indexes)
        return {"order": [[index] for index in indexes]}

    def wrong_answer(self, gold: dict[str, Any], config: Config, rng: random.Random) -> dict[str, Any] | None:
        # The gold's order turned upside down; an all-tied gold has no wrong order to show.
        tiers = [list(tier) for tier in gold.get("order") or []]
        return {"order": tiers[::-1]} if len(tiers) > 1 else None

    def agreement_values(self, answer: dict[str, Any], config: Config) -> dict[str, Any]:
        """One ordinal question per candidate: its rank (tied candidates share the mean of their places)."""
        return {f"rank.{i}": rank for i, rank in enumerate(self.ranks(answer))}

    def example(self) -> dict[str, Any]:
        return {
            "config": {"allow_ties": True, "flags": ["unsafe", "off-topic"]},
            "item": {
                "external_id": "rank-1",
                "payload": {
                    "messages": [{"role": "user", "content": "How do I keep cut basil fresh?"}],
                    "candidates": [
                        {
                            "content": "Trim the stems and stand them in a glass of water at room temperature, "
                            "loosely covered with a bag. Don't refrigerate it: cold turns the leaves black.",
                            "model": "ranker-large",
                            "params": {"temperature": 0.7},
                        },
                        {"content": "Put it in the fridge in a sealed box.", "model": "ranker-small"},
                        {
                            "content": "Basil is a herb in the mint family, native to tropical Asia.",
                            "model": "ranker-tiny",
                        },
                    ],
                },
                "metadata": {"source": "demo"},
            },
            "answer": {"order": [[0], [1], [2]], "flags": {"2": ["off-topic"]}},
        }

    def contrasting_answer(self) -> dict[str, Any]:
        return {"order": [[1], [0, 2]]}

    def invalid_answers(self) -> list[tuple[dict[str, Any], str]]:
        return [
            ({"order": [[0], [1]]}, "answer.order"),  # candidate 2 missing
            ({"order": [[0], [1], [2], [1]]}, "answer.order.3"),  # candidate 1 twice
            ({"order": [[0], [1], [5]]}, "answer.order.2"),  # no candidate 5
            ({"order": [[0], [1], [2]], "flags": {"1": ["rude"]}}, "answer.flags.1"),
            ({"order": [[0], [1], [2]], "flags": {"7": ["unsafe"]}}, "answer.flags.7"),
            ({"order": [[0], [], [1, 2]]}, "answer.order"),
        ]

    def demo_items(self) -> list[dict[str, Any]]:
        rows = []
        for i, (prompt, responses) in enumerate(DEMO_RANKINGS):
            candidates = [
                {"content": text, "model": model, "params": {"temperature": temp}}
                for text, (model, temp) in zip(responses, DEMO_MODELS, strict=False)
            ]
            rows.append(
                {
                    "external_id": f"rank-{i + 1}",
                    "payload": {"messages": [{"role": "user", "content": prompt}], "candidates": candidates},
                    "metadata": {"source": "demo"},
                }
            )
        return rows


# ---- ranking math (pure) ----------------------------------------------------------------------------


def fractional_ranks(order: list[list[int]], k: int) -> list[float]:
    """1-based rank of each candidate; the members of a tie share the mean of the places they take."""
    ranks = [0.0] * k
    place = 1
    for tier in order:
        shared = place + (len(tier) - 1) / 2
        for index in tier:
            ranks[index] = shared
        place += len(tier)
    return ranks


def tiers_from_scores(scores: list[float], eps: float = 1e-9) -> list[list[int]]:
    """Candidates sorted by score (lower is better); equal scores share a tier."""
    tiers: list[list[int]] = []
    last: float | None = None
    for index in sorted(range(len(scores)), key=lambda i: (scores[i], i)):
        if last is not None and abs(scores[index] - last) <= eps:
            tiers[-1].append(index)
        else:
            tiers.append([index])
        last = scores[index]
    return tiers


def kendall_tau_b(x: list[float], y: list[float]) -> float:
    """Kendall's tau-b between two rankings of the same candidates (ties allowed). When one ranking ties
    everything the coefficient is undefined: 1.0 if both do (they agree), else 0.0."""
    concordant = discordant = ties_x = ties_y = 0
    n = len(x)
    for i in range(n):
        for j in range(i + 1, n):
            dx, dy = x[i] - x[j], y[i] - y[j]
            if dx == 0 and dy == 0:
                continue
            if dx == 0:
                ties_x += 1
            elif dy == 0:
                ties_y += 1
            elif (dx > 0) == (dy > 0):
                concordant += 1
            else:
                discordant += 1
    denominator = math.sqrt((concordant + discordant + ties_x) * (concordant + discordant + ties_y))
    if denominator == 0:
        return 1.0 if ties_x == 0 and ties_y == 0 else 0.0
    return (concordant - discordant) / denominator


def tier_ranks(order: list[list[int]], k: int) -> list[int]:
    """1-based tier number of each candidate (a tie shares its tier's number)."""
    ranks = [0] * k
    for t, tier in enumerate(order):
        for index in tier:
            ranks[index] = t + 1
    return ranks


# ---- exports ------------------------------------------------------------------------------------------


def _flags_of(consensus: Consensus, index: int) -> list[str]:
    flags: list[str] = (consensus.answer or {}).get("flags", {}).get(str(index), [])
    return flags


def _listwise_rows(item: ExportItem, config: Config, consensus: Consensus) -> Iterable[dict[str, Any]]:
    """One row per item: the completions best first with their consensus rank (tied ones share a rank),
    and ``ranks[i]``, the rank of the i-th candidate as imported."""
    if consensus.answer is None:
        return []
    candidates = item.payload["candidates"]
    order: list[list[int]] = consensus.answer["order"]
    ranks = tier_ranks(order, len(candidates))
    completions = [
        {
            "content": candidates[index]["content"],
            "model": candidates[index].get("model"),
            "provider": candidates[index].get("provider"),
            "candidate_index": index,
            "rank": ranks[index],
            "flags": _flags_of(consensus, index),
        }
        for tier in order
        for index in tier
    ]
    return [
        {
            "external_id": item.external_id,
            "prompt": item.payload["messages"],
            "completions": completions,
            "ranks": ranks,
            "mean_ranks": consensus.answer.get("mean_ranks"),
            "bt_scores": consensus.answer.get("bt_scores"),
            "confidence": consensus.confidence,
            "n_judgments": consensus.n_judgments,
        }
    ]


def _bt_scores(compared: list[list[tuple[int, int, float]]], k: int) -> list[float]:
    """Bradley-Terry log-strengths of the candidates (centred to mean 0) from every pair each answer orders
    (``Ranking.comparisons``), a shared tier counting as a tie; ``core.aggregation.bradley_terry``'s one
    prior tie per candidate keeps a candidate that always wins finite. Beside the mean ranks: a strength
    scale, not only an order."""
    # Imported here: SciPy is needed only when a consensus is computed, not to load the registry.
    from quorum.core.aggregation.bradley_terry import bradley_terry

    left = [a for pairs in compared for a, _, _ in pairs]
    right = [b for pairs in compared for _, b, _ in pairs]
    outcome = [o for pairs in compared for _, _, o in pairs]
    fit = bradley_terry(left, right, outcome, k, n_boot=0)
    return [round(float(score), 6) for score in fit.scores]


def _pair_rows(item: ExportItem, config: Config, consensus: Consensus) -> Iterable[dict[str, Any]]:
    """All K·(K-1)/2 pairs of the consensus order for reward modelling, tied pairs left out. ``margin`` is
    the difference of the two candidates' consensus tier ranks (1 for neighbours)."""
    if consensus.answer is None:
        return []
    candidates = item.payload["candidates"]
    ranks = tier_ranks(consensus.answer["order"], len(candidates))
    rows = []
    for a in range(len(candidates)):
        for b in range(a + 1, len(candidates)):
            if ranks[a] == ranks[b]:
                continue
            chosen, rejected = (a, b) if ranks[a] < ranks[b] else (b, a)
            rows.append(
                {
                    "external_id": item.external_id,
                    "prompt": item.payload["messages"],
                    "chosen": [{"role": "assistant", "content": candidates[chosen]["content"]}],
                    "rejected": [{"role": "assistant", "content": candidates[rejected]["content"]}],
                    "margin": float(ranks[rejected] - ranks[chosen]),
                    "chosen_index": chosen,
                    "rejected_index": rejected,
                    "chosen_model": candidates[chosen].get("model"),
                    "rejected_model": candidates[rejected].get("model"),
                    "confidence": consensus.confidence,
                }
            )
    return rows


DEMO_MODELS = [
    ("demo-model-large", 0.7),
    ("demo-model-small", 1.0),
    ("demo-model-tiny", 1.0),
    ("demo-model-mini", 0.3),
]

DEMO_RANKINGS: list[tuple[str, list[str]]] = [
    (
        "Suggest a name for a bakery that specialises in sourdough.",
        [
            "**Wild Rise** — it nods to the wild yeast that makes sourdough and sounds warm and local.",
            "Bread Shop.",
            "How about *The Mother Loaf*? Every sourdough starts from a 'mother', and it is easy to remember.",
        ],
    ),
    (
        "What does `git rebase -i HEAD~3` do?",
        [
            "It opens an editor listing your last three commits so you can reorder, squash, edit or drop them; "
            "git then replays them on top of `HEAD~3`.",
            "It deletes your last three commits.",
            "It starts an interactive rebase of the last three commits.",
            "It pushes three commits to the remote.",
        ],
    ),
    (
        "Is it safe to mix bleach and ammonia for a stronger cleaner?",
        [
            "No. Mixing them releases toxic chloramine gas. Use one product at a time and ventilate the room.",
            "Yes, it makes a much stronger cleaner. Use equal parts.",
            "No, never mix them: the fumes are dangerous.",
        ],
    ),
    (
        "Translate 'Where is the train station?' into Spanish.",
        ["¿Dónde está la estación de tren?", "¿Dónde está la estación de trenes?", "Where is the station?"],
    ),
]

TASK_TYPE = Ranking()
