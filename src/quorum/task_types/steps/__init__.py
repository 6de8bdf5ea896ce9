"""Process supervision (PRM800K style): label each step of a solution +1 (good), 0 (neutral) or -1 (bad).

The first error (index of the first -1) is derived from the labels, never sent by the client.
Consensus is a per-step majority; a tie goes to the lower, more cautious label (-1 before 0 before +1).

For the reward model a solution is one response: good when its consensus has no -1 step and does not call
its final answer wrong. Its final answer is what follows the last ``# Answer`` line (PRM800K's format), and
it is known wrong when it differs from the item's ``reference_answer`` (compared after ``normal_answer``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from quorum.core.input_checks import as_id
from quorum.errors import Invalid, field_error
from quorum.task_types.base import CandidateInfo, Consensus, ExportItem, ExportWriter, TaskType

LABELS = (1, 0, -1)
ANSWER_MARK = re.compile(r"^#\s*Answer\s*$", re.MULTILINE)
MAX_STEPS = 200
StrictLabel = Annotated[int, Field(strict=True)]


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allow_neutral: bool = Field(default=True, description="Offer the neutral label 0 (PRM800K's 'okay').")
    stop_at_first_error: bool = Field(
        default=False, description="Labels after the first -1 are not required (PRM800K phase 2)."
    )


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    problem: str = Field(min_length=1)
    steps: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1, max_length=MAX_STEPS)
    reference_answer: str | None = None
    solution_model: str | None = None


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    labels: list[StrictLabel] = Field(
        min_length=1, max_length=MAX_STEPS, description="One of 1, 0, -1 per step, in order."
    )
    notes: dict[str, Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=dict, description="Optional note per step, keyed by the step index as a string."
    )
    final_answer_correct: bool | None = None


def final_answer(steps: Sequence[str]) -> str | None:
    """What follows the last ``# Answer`` line of the last step, or None when the solution states none."""
    if not steps:
        return None
    marks = list(ANSWER_MARK.finditer(steps[-1]))
    if not marks:
        return None
    found = steps[-1][marks[-1].end() :].strip()
    return found or None


def normal_answer(answer: str) -> str:
    """A light normal form for comparing final answers: no ``$`` or ``\\boxed{}``, whitespace, case or
    final full stop. Not a math grader: ``1/2`` and ``0.5`` differ (such an answer counts as wrong)."""
    value = answer.strip().rstrip(".").strip().strip("$").strip()
    boxed = re.fullmatch(r"\\boxed\{(.*)\}", value)
    if boxed:
        value = boxed.group(1)
    return re.sub(r"\s+", "", value).rstrip(".").lower()


def first_error(labels: Sequence[int | None]) -> int | None:
    """The index of the first -1, or None when no step is bad."""
    for i, label in enumerate(labels):
        if label == -1:
            return i
    return None


class Steps(TaskType[Config, Payload, Answer]):
    name = "steps"
    description = "Label each step of a solution +1 / 0 / -1 (process supervision, PRM800K style)."
    agreement_level = "ordinal"
    config_model = Config
    payload_model = Payload
    answer_model = Answer

    def check_answer(self, answer: Answer, payload: Payload, config: Config) -> None:
        n = len(payload.steps)
        labels = answer.labels
        problems: list[dict[str, Any]] = []
        for i, label in enumerate(labels):
            if label not in LABELS:
                problems.append(field_error(f"answer.labels.{i}", "must be -1, 0 or 1"))
            elif label == 0 and not config.allow_neutral:
                problems.append(
                    field_error(f"answer.labels.{i}", "this project does not allow neutral (0) labels")
                )
        bad = first_error(labels)
        if len(labels) > n:
            problems.append(field_error("answer.labels", f"expected {n} labels, got {len(labels)}"))
        elif len(labels) < n:
            if not config.stop_at_first_error:
                problems.append(field_error("answer.labels", f"expected {n} labels, got {len(labels)}"))
            elif bad != len(labels) - 1:
                problems.append(
                    field_error(
                        "answer.labels",
                        f"expected {n} labels, got {len(labels)}: fewer are allowed only when the last one "
                        "is the first -1",
                    )
                )
        for key, text in answer.notes.items():
            if not (as_id(key) is not None and int(key) < n and str(int(key)) == key):
                problems.append(
                    field_error(f"answer.notes.{key}", f"no step {key} (step indexes are 0..{n - 1})")
                )
            elif not text.strip():
                problems.append(field_error(f"answer.notes.{key}", "empty note; leave the step out instead"))
        if problems:
            first = problems[0]
            raise Invalid(f"invalid answer: {first['field']}: {first['msg']}", problems)

    def public_payload(self, payload: dict[str, Any]) -> dict[str, Any]:
        # Annotators judge the solution, not the model that wrote it.
        return {k: v for k, v in payload.items() if k != "solution_model"}

    def candidates(self, payload: Payload) -> list[CandidateInfo]:
        # The judged text is one model output: its provenance goes with the item into exports.
        return (
            []
            if payload.solution_model is None
            else [CandidateInfo(position=0, model=payload.solution_model)]
        )

    def consensus(self, answers: list[dict[str, Any]], config: Config) -> Consensus:
        n = len(answers)
        if n == 0:
            return Consensus(None, 0.0, "majority", 0)
        length = max(len(a["labels"]) for a in answers)
        labels: list[int] = []
        agreement: list[float] = []
        for i in range(length):
            votes = [a["labels"][i] for a in answers if len(a["labels"]) > i]
            counts = {label: votes.count(label) for label in set(votes)}
            # Most votes wins; a tie goes to the lower (more cautious) label: -1 before 0 before +1.
            label = min(counts, key=lambda v: (-counts[v], v))
            labels.append(label)
            agreement.append(counts[label] / len(votes))
        bad = first_error(labels)
        if config.stop_at_first_error and bad is not None:
            labels, agreement = labels[: bad + 1], agreement[: bad + 1]
        finals = [a["final_answer_correct"] for a in answers if a.get("final_answer_correct") is not None]
        final: bool | None = None
        if finals:
            # A tie on the final answer counts it as wrong (the cautious side).
            final = sum(1 for f in finals if f) * 2 > len(finals)
        notes: dict[str, list[str]] = {}
        for a in answers:
            for key, text in sorted((a.get("notes") or {}).items(), key=lambda kv: int(kv[0])):
                notes.setdefault(key, []).append(text)
        answer: dict[str, Any] = {
            "labels": labels,
            "first_error": bad,
            "final_answer_correct": final,
            "notes": notes,
        }
        return Consensus(answer, sum(agreement) / len(agreement), "majority", n)

    def exports(self) -> Mapping[str, ExportWriter]:
        return {"prm": _prm_rows}

    grades_one_response = True

    def response_verdict(self, answer: dict[str, Any]) -> float | None:
        labels = answer.get("labels")
        if not isinstance(labels, list) or not labels:
            return None
        bad = first_error(labels) is not None or answer.get("final_answer_correct") is False
        return 0.0 if bad else 1.0

    def known_wrong(self, payload: dict[str, Any]) -> bool | None:
        reference = payload.get("reference_answer")
        steps = payload.get("steps")
        if not isinstance(reference, str) or not reference.strip() or not isinstance(steps, list):
            return None
        stated = final_answer([s for s in steps if isinstance(s, str)])
        return stated is None or normal_answer(stated) != normal_answer(reference)

    def agreement_values(self, answer: dict[str, Any], config: Config) -> dict[str, Any]:
        # Steps an answer stopped before (stop_at_first_error) are missing, not disagreeing.
        return {f"step.{i}": label for i, label in enumerate(answer.get("labels") or [])}

    def example(self) -> dict[str, Any]:
        return {
            "config": {"allow_neutral": True, "stop_at_first_error": False},
            "item": DEMO_SOLUTIONS[0],
            "answer": {
                "labels": [1, 1, -1, -1],
                "notes": {"2": "7 + 5 is 12, not 13"},
                "final_answer_correct": False,
            },
        }

    def contrasting_answer(self) -> dict[str, Any]:
        return {"labels": [1, 0, 1, 1], "final_answer_correct": True}

    def invalid_answers(self) -> list[tuple[dict[str, Any], str]]:
        return [
            ({"labels": [1, 1, -1]}, "answer.labels"),
            ({"labels": [1, 1, 2, -1]}, "answer.labels.2"),
            ({"labels": [1, 1, -1, -1], "notes": {"9": "no such step"}}, "answer.notes.9"),
            ({"labels": [1, 1, -1, -1, 1]}, "answer.labels"),
            ({"labels": [1, 1, -1, -1], "first_error": 2}, "answer.first_error"),
            ({"labels": [1, True, -1, -1]}, "answer.labels.1"),
        ]

    def demo_items(self) -> list[dict[str, Any]]:
        return [dict(item) for item in DEMO_SOLUTIONS]


def _prm_rows(item: ExportItem, config: Config, consensus: Consensus) -> Iterable[dict[str, Any]]:
    """One row per item, PRM800K-like: the steps with their consensus labels and the first error."""
    if consensus.answer is None:
        return []
    return [
        {
            "external_id": item.external_id,
            "problem": item.payload["problem"],
            "steps": item.payload["steps"],
            "labels": consensus.answer["labels"],
            "first_error": consensus.answer["first_error"],
            "reference_answer": item.payload.get("reference_answer"),
            "solution_model": item.payload.get("solution_model"),
            "final_answer_correct": consensus.answer["final_answer_correct"],
            "confidence": consensus.confidence,
            "n_judgments": consensus.n_judgments,
        }
    ]


def from_prm800k(record: Mapping[str, Any], *, gold: bool = False) -> dict[str, Any]:
    """An importable item row from one PRM800K record (https://github.com/openai/prm800k).

    Phase 2 records (``generation`` set) grade a pre-generated solution: its steps are
    ``question.pre_generated_steps`` and the labeller's ratings are those of the first completion of
    each labelled step (they stop at the first -1 when ``finish_reason`` is ``found_error``). Phase 1
    records build the solution step by step: each step is the chosen completion, or the labeller's own
    step where they wrote one (rating ``None``); a final step with nothing chosen is left out.

    The original ratings go to ``metadata.prm800k.labels``; with ``gold=True`` they also become the
    item's gold answer when every one is an int (the project then needs ``stop_at_first_error`` for
    truncated phase 2 records).
    """
    question = record["question"]
    label = record["label"]
    steps: list[str] = []
    ratings: list[int | None] = []
    human: list[int] = []
    if record.get("generation") is not None and question.get("pre_generated_steps"):
        steps = list(question["pre_generated_steps"])
        ratings = [step["completions"][0]["rating"] for step in label["steps"]]
    else:
        for step in label["steps"]:
            chosen = step.get("chosen_completion")
            if chosen is not None:
                completion = step["completions"][chosen]
            elif step.get("human_completion") is not None:
                completion = step["human_completion"]
                human.append(len(steps))
            else:
                break
            steps.append(completion["text"])
            ratings.append(completion.get("rating"))
    identity = f"{record.get('labeler')}/{record.get('timestamp')}/{question['problem']}"
    row: dict[str, Any] = {
        "external_id": "prm800k-" + hashlib.sha256(identity.encode()).hexdigest()[:16],
        "payload": {
            "problem": question["problem"],
            "steps": steps,
            "reference_answer": question.get("ground_truth_answer"),
            "solution_model": None
            if record.get("generation") is None
            else f"prm800k-generator-{record['generation']}",
        },
        "metadata": {
            "source": "prm800k",
            "prm800k": {
                "labeler": record.get("labeler"),
                "timestamp": record.get("timestamp"),
                "generation": record.get("generation"),
                "finish_reason": label.get("finish_reason"),
                "is_quality_control_question": record.get("is_quality_control_question"),
                "is_initial_screening_question": record.get("is_initial_screening_question"),
                "labels": ratings,
                "first_error": first_error(ratings),
                "human_steps": human,
                "pre_generated_answer": question.get("pre_generated_answer"),
            },
        },
    }
    if gold and ratings and all(isinstance(r, int) for r in ratings):
        row["gold"] = {"labels": ratings}
    return row


def _solution(external_id: str, problem: str, steps: list[str], reference: str, model: str) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "payload": {
            "problem": problem,
            "steps": steps,
            "reference_answer": reference,
            "solution_model": model,
        },
        "metadata": {"source": "demo"},
    }


DEMO_SOLUTIONS = [
    _solution(
        "steps-1",
        "Ali has 7 apples and buys 5 more, then gives away 4. How many apples does he have?",
        [
            "Ali starts with $7$ apples.",
            "After buying $5$ more he has $7 + 5$ apples.",
            "That is $13$ apples.",
            "After giving away $4$ he has $13 - 4 = 9$ apples.\n\n# Answer\n\n9",
        ],
        "8",
        "demo-math-small",
    ),
    _solution(
        "steps-2",
        "Solve $2x + 6 = 14$ for $x$.",
        [
            "Subtract $6$ from both sides: $2x = 8$.",
            "Divide both sides by $2$: $x = 4$.",
            "Check: $2 \\cdot 4 + 6 = 14$.\n\n# Answer\n\n4",
        ],
        "4",
        "demo-math-large",
    ),
    _solution(
        "steps-3",
        "What is the sum of the interior angles of a hexagon, in degrees?",
        [
            "The sum of the interior angles of an $n$-gon is $(n - 2) \\cdot 180^\\circ$.",
            "A hexagon has $n = 6$ sides.",
            "So the sum is $(6 - 2) \\cdot 180 = 4 \\cdot 180$.",
            "$4 \\cdot 180 = 620$.\n\n# Answer\n\n620",
        ],
        "720",
        "demo-math-small",
    ),
    _solution(
        "steps-4",
        "Expand $(x + 3)^2$.",
        [
            "Use $(a + b)^2 = a^2 + 2ab + b^2$ with $a = x$ and $b = 3$.",
            "So $(x + 3)^2 = x^2 + 3x + 9$.\n\n# Answer\n\n$x^2 + 3x + 9$",
        ],
        "$x^2 + 6x + 9$",
        "demo-math-small",
    ),
    _solution(
        "steps-5",
        "A train travels $120$ km in $1.5$ hours. What is its average speed in km/h?",
        [
            "Average speed is distance divided by time.",
            "$120 / 1.5 = 80$.",
            "So the average speed is $80$ km/h.\n\n# Answer\n\n80",
        ],
        "80",
        "demo-math-large",
    ),
]

TASK_TYPE = Steps()
