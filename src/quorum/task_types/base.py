"""What a task type declares. Generic code talks to task types only through this interface."""

from __future__ import annotations

import inspect
import json
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from quorum.core import policy
from quorum.errors import Invalid, field_error

AgreementLevel = Literal["nominal", "ordinal", "interval", "ranking"]
# The level of one question: a ranking is measured per candidate, as ordinal ranks.
QuestionLevel = Literal["nominal", "ordinal", "interval"]

ConfigT = TypeVar("ConfigT", bound=BaseModel)
PayloadT = TypeVar("PayloadT", bound=BaseModel)
AnswerT = TypeVar("AnswerT", bound=BaseModel)
M = TypeVar("M", bound=BaseModel)


def error_details(exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[dict[str, Any]]:
    """Pydantic errors as ``[{"loc": [...], "field": "a.b", "msg": ...}]``, located under ``prefix``."""
    details = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = [*prefix, *err["loc"]]
        details.append(field_error(".".join(str(p) for p in loc), err["msg"], loc=loc))
    return details


def parse(model: type[M], data: Any, what: str, prefix: tuple[str | int, ...] = ()) -> M:
    """Validate ``data`` as ``model`` or raise ``Invalid`` naming each bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = error_details(exc, prefix)
        first = details[0]
        raise Invalid(f"invalid {what}: {first['field'] or what}: {first['msg']}", details) from None


def refuse(problems: list[tuple[str, str]], what: str = "answer") -> None:
    """Raise ``Invalid`` listing each ``(field, message)``, if there are any; the first leads the message."""
    if problems:
        details = [field_error(f, m, loc=f.split(".")) for f, m in problems]
        raise Invalid(f"invalid {what}: {problems[0][0]}: {problems[0][1]}", details)


@dataclass(frozen=True)
class CandidateInfo:
    """Provenance of one model output inside a payload."""

    position: int
    model: str | None
    provider: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CritiquedResponse:
    """One response a critic comments on: its candidate index as stored (0 for a single response), the
    conversation it answers (chat messages) and its text, into which comment quotes are exact spans."""

    position: int
    messages: list[dict[str, Any]]
    response: str


@dataclass(frozen=True)
class JudgmentRecord:
    annotator: str
    answer: dict[str, Any]
    time_spent_ms: int
    guideline_version: int
    created_at: datetime
    display_order: list[int] | None = None
    suggestion: dict[str, Any] | None = None
    """Exports: whether a suggestion was shown to this judgment, its provenance and acceptance."""
    assistance: dict[str, Any] | None = None
    """What assistance the annotator was shown (arms, critique comments' fates and provenance)."""


@dataclass(frozen=True)
class ExportItem:
    """Everything an export writer may need about one item; built by the export service."""

    external_id: str
    payload: dict[str, Any]
    metadata: dict[str, Any]
    judgments: list[JudgmentRecord]
    candidates: list[CandidateInfo]
    gold: Any = None


@dataclass(frozen=True)
class Consensus:
    """The aggregated answer for an item; ``answer`` is None when there is nothing to aggregate."""

    answer: dict[str, Any] | None
    confidence: float
    method: str
    n_judgments: int


ExportWriter = Callable[[ExportItem, Any, Consensus], Iterable[dict[str, Any]]]


class TaskType(ABC, Generic[ConfigT, PayloadT, AnswerT]):
    """One kind of judgment. Subclasses set the class attributes and implement the hooks."""

    name: ClassVar[str]
    description: ClassVar[str]
    agreement_level: ClassVar[AgreementLevel]
    config_model: type[ConfigT]
    payload_model: type[PayloadT]
    answer_model: type[AnswerT]

    # ---- validation -------------------------------------------------------------------------
    def parse_config(self, raw: Any) -> ConfigT:
        return parse(self.config_model, raw if raw is not None else {}, "config", ("config",))

    def parse_payload(self, raw: Any, config: ConfigT) -> PayloadT:
        payload = parse(self.payload_model, raw, "payload", ("payload",))
        self.check_payload(payload, config)
        return payload

    def parse_answer(self, raw: Any, payload: PayloadT, config: ConfigT) -> AnswerT:
        answer = parse(self.answer_model, raw, "answer", ("answer",))
        self.check_answer(answer, payload, config)
        return answer

    def check_payload(self, payload: PayloadT, config: ConfigT) -> None:
        """Rules that need the config (e.g. number of candidates); raise ``Invalid``."""

    def check_answer(self, answer: AnswerT, payload: PayloadT, config: ConfigT) -> None:
        """Rules that need the item or config (e.g. label in the config's list); raise ``Invalid``."""

    # ---- what annotators see ------------------------------------------------------------------
    def public_payload(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The payload as shown to annotators: provenance that could bias them is removed."""
        return payload

    def candidates(self, payload: PayloadT) -> list[CandidateInfo]:
        return []

    def candidate_rows(self, payload: PayloadT) -> list[dict[str, Any]]:
        """A payload's candidates' provenance as ``items.candidate_provenance`` keeps it (position, model,
        provider, params): what :meth:`candidates` says, as the importer and candidate generation write
        it. A type may build them without the intermediate objects, so long as they stay the same rows."""
        return [
            {"position": c.position, "model": c.model, "provider": c.provider, "params": c.params}
            for c in self.candidates(payload)
        ]

    def critiqued_responses(self, payload: dict[str, Any]) -> list[CritiquedResponse]:
        """The model responses of a stored payload a critic may comment on (``critiques/``), each with the
        conversation it answers; empty where the type has none."""
        return []

    def found_spans(self, answer: dict[str, Any]) -> list[tuple[int, int, int]]:
        """The spans a stored answer marks as wrong, as (candidate index, start, end) in the response's
        code points; the planted-flaw recall counts a flaw found when one overlaps it."""
        return []

    # ---- generated candidates ----------------------------------------------------------------------
    def awaits_candidates(self, payload: dict[str, Any]) -> bool:
        """True when a valid payload still lacks the candidates annotators compare (imported with only
        ``messages``): such an item is not served until generation fills it."""
        return False

    def candidate_slots(self, config: ConfigT) -> tuple[int, int] | None:
        """How many candidates one item compares, (fewest, most); None where the type has no candidates
        (candidate generation refuses such projects)."""
        return None

    # ---- the order candidates are shown in ---------------------------------------------------------
    # Answers are stored against candidate identities, never screen positions: each assignment shows the
    # candidates in its own order (drawn from the assignment's recorded seed), the annotator answers in
    # screen positions, and submit maps the answer back with ``to_canonical``.
    def display_order(self, payload: dict[str, Any], seed: int | None) -> list[int] | None:
        """The candidate index shown at each screen position to an assignment whose seed is ``seed``;
        None where the payload is shown as stored (the type has no candidates, or there is no seed)."""
        return None

    def arrange(self, payload: dict[str, Any], order: list[int]) -> dict[str, Any]:
        """``payload`` as shown in ``order`` (screen position -> candidate index)."""
        return payload

    def to_canonical(self, answer: dict[str, Any], order: list[int]) -> dict[str, Any]:
        """An answer given in the screen positions of ``order``, in candidate identities (as stored)."""
        return answer

    def to_displayed(self, answer: dict[str, Any], order: list[int]) -> dict[str, Any]:
        """A stored answer in the screen positions of ``order``: the inverse of :meth:`to_canonical`."""
        return self.to_canonical(answer, inverse(order))

    # ---- comparisons between candidates ------------------------------------------------------------
    def comparisons(self, answer: dict[str, Any]) -> list[tuple[int, int, float]] | None:
        """Each comparison a stored answer makes, as (candidate, other candidate, outcome for the first:
        1 a win, 0 a loss, 0.5 a tie); None where the type compares no candidates. The quality report
        scores candidates' models (Bradley-Terry) and position bias from it."""
        return None

    def ranks(self, answer: dict[str, Any]) -> list[float] | None:
        """The 1-based rank of each candidate in a stored answer (tied candidates share the mean of their
        places), for Kendall's tau between annotators; None where the type is not a ranking."""
        return None

    def position_choice(self, answer: dict[str, Any], order: list[int] | None) -> tuple[int, int] | None:
        """Position bias: (the screen position of the one candidate a stored answer prefers to every
        other, how many positions were shown), from its :meth:`comparisons` and the displayed ``order``
        (None: shown as stored); None where it prefers no single candidate (a tie)."""
        return preferred_position(self.comparisons(answer), order)

    # ---- a reward model's view of one judged response ----------------------------------------------
    # A type whose item is one response judged on its own (steps: a solution) trains the reward model on
    # "this response is good / bad" instead of a comparison of candidates.
    grades_one_response: ClassVar[bool] = False

    def response_verdict(self, answer: dict[str, Any]) -> float | None:
        """1.0 where a stored consensus answer finds the item's one response good, 0.0 where bad; None where
        it says neither (or the type grades no single response)."""
        return None

    def known_wrong(self, payload: dict[str, Any]) -> bool | None:
        """Whether the item's response ends in a final answer that a reference in ``payload`` shows wrong
        (``convincing_wrong`` picks among these); None where nothing says."""
        return None

    # ---- simulated annotators ----------------------------------------------------------------------
    def random_answer(self, config: ConfigT, payload: dict[str, Any], rng: random.Random) -> dict[str, Any]:
        """A plausible valid answer to ``payload`` (as shown) for simulated annotators; by default the
        example's answer."""
        answer: dict[str, Any] = self.example()["answer"]
        return answer

    def wrong_answer(
        self, gold: dict[str, Any], config: ConfigT, rng: random.Random
    ) -> dict[str, Any] | None:
        """A valid answer (stored form) that a gold item's ``gold`` marks wrong: the known-wrong suggestion
        a probe shows to measure over-reliance. None where the type cannot make one: it never probes."""
        return None

    # ---- the annotation form ---------------------------------------------------------------------
    def assets_dir(self) -> Path:
        """The type's folder. Beside its code live ``view.html`` (the item, read-only), ``form.html`` (the
        answer controls) and ``widget.js`` (collects the answer in the browser)."""
        return Path(inspect.getfile(type(self))).parent

    # ---- aggregation and export ---------------------------------------------------------------
    @abstractmethod
    def consensus(self, answers: list[dict[str, Any]], config: ConfigT) -> Consensus:
        """Aggregate valid answers into one, with a confidence in [0, 1]."""

    def exports(self) -> Mapping[str, ExportWriter]:
        """Training formats beyond the generic ``jsonl``: name -> writer of rows for one item."""
        return {}

    @abstractmethod
    def example(self) -> dict[str, Any]:
        """``{"config", "item", "answer"}``: an importable item row and an answer valid for it."""

    @abstractmethod
    def contrasting_answer(self) -> dict[str, Any]:
        """Another valid answer for the example item, different from ``example()["answer"]`` (so that
        aggregating the two shows disagreement)."""

    def gold_score(self, answer: dict[str, Any], gold: dict[str, Any], config: ConfigT) -> float:
        """How well an answer matches a gold answer, in [0, 1]: by default every field the gold sets must
        be equal, lists in order. Override for partial credit or order-free fields."""
        return policy.gold_score(answer, gold)

    # ---- agreement ------------------------------------------------------------------------------
    def agreement_values(self, answer: dict[str, Any], config: ConfigT) -> dict[str, Any]:
        """The answer as questions that agreement is measured on: question name -> a hashable value
        (nominal) or a number (ordinal, interval); a question left out is missing for this answer. By
        default the whole answer is one nominal question, compared as canonical JSON."""
        return {"answer": json.dumps(answer, sort_keys=True, separators=(",", ":"))}

    def agreement_levels(self, config: ConfigT) -> Mapping[str, QuestionLevel]:
        """Questions whose level differs from :meth:`question_level`'s default, by name."""
        return {}

    def question_level(self, question: str, config: ConfigT) -> QuestionLevel:
        """The level of measurement of one question from :meth:`agreement_values`."""
        level = self.agreement_levels(config).get(question)
        if level is not None:
            return level
        return "ordinal" if self.agreement_level == "ranking" else self.agreement_level

    def invalid_answers(self) -> list[tuple[dict[str, Any], str]]:
        """Answers to the example item that must be refused, each with the field the error must name."""
        return []

    def demo_items(self) -> list[dict[str, Any]]:
        """Item rows the demo project of this type starts with."""
        return [self.example()["item"]]


def count_votes(keys: Iterator[str] | Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    return counts


def plurality(counts: Mapping[str, int], order: list[str]) -> tuple[str, int]:
    """The most voted key; a tie goes to the key listed first in ``order`` (e.g. the config's labels),
    never to whichever answer came first."""
    rank = {key: i for i, key in enumerate(order)}
    best = min(counts, key=lambda k: (-counts[k], rank.get(k, len(rank)), k))
    return best, counts[best]


def inverse(order: list[int]) -> list[int]:
    """The inverse permutation: ``inverse(order)[order[p]] == p``."""
    out = [0] * len(order)
    for position, index in enumerate(order):
        out[index] = position
    return out


def preferred_position(
    pairs: list[tuple[int, int, float]] | None, order: list[int] | None
) -> tuple[int, int] | None:
    """(screen position, number of candidates) of the candidate that wins every comparison in ``pairs``
    against every other candidate; None when there is none (a tie, or no comparison)."""
    if not pairs:
        return None
    wins: dict[int, int] = {}
    candidates: set[int] = set()
    for first, second, outcome in pairs:
        candidates.update((first, second))
        if outcome == 1.0:
            wins[first] = wins.get(first, 0) + 1
        elif outcome == 0.0:
            wins[second] = wins.get(second, 0) + 1
    best = [c for c, n in wins.items() if n == len(candidates) - 1]
    if len(best) != 1:
        return None
    shown = order if order is not None else sorted(candidates)
    if best[0] not in shown:
        return None
    return shown.index(best[0]), len(shown)
