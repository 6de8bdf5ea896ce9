"""Critique: find the issues in a model's response (often code), each anchored to an exact span of it.

Offsets are Python string indexes (code points) into the stored response: ``response[start:end] == quote``.
Line endings in a response are stored as ``\\n`` (browsers turn ``\\r\\n`` into ``\\n``, and offsets must
mean the same thing on both sides).

Consensus: issues from different annotators whose spans overlap with IoU >= 0.5 form one cluster; a
cluster found by a strict majority of the annotators is kept. ``no_issues`` is a strict majority vote too
(a tie means there are issues: the cautious side).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from quorum.errors import Invalid, field_error
from quorum.task_types.base import (
    CandidateInfo,
    Consensus,
    CritiquedResponse,
    ExportItem,
    ExportWriter,
    TaskType,
    count_votes,
    plurality,
)
from quorum.task_types.chat import Message

IOU_THRESHOLD = 0.5
StrictOffset = Annotated[int, Field(strict=True, ge=0)]


def _unique_names(values: list[str], what: str) -> list[str]:
    if any(not v.strip() for v in values):
        raise ValueError(f"{what} must not be empty")
    if len(set(values)) != len(values):
        raise ValueError(f"{what} must be unique")
    return values


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    severities: list[str] = Field(
        default_factory=lambda: ["minor", "major", "critical"],
        min_length=1,
        max_length=9,
        description="From the least to the most severe; keys 1..9 pick them.",
    )
    categories: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Optional issue categories, e.g. bug, security, style.",
    )

    @field_validator("severities")
    @classmethod
    def _severities(cls, values: list[str]) -> list[str]:
        return _unique_names(values, "severities")

    @field_validator("categories")
    @classmethod
    def _categories(cls, values: list[str]) -> list[str]:
        return _unique_names(values, "categories")


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str | list[Message] = Field(description="The request: plain text or chat messages.")
    response: str = Field(min_length=1, description="The text to critique; issue offsets index into it.")
    language: str | None = Field(default=None, description="e.g. python (shown to annotators).")
    response_model: str | None = None

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, value: str | list[Message]) -> str | list[Message]:
        if not value:
            raise ValueError("the prompt must not be empty")
        return value

    @field_validator("response")
    @classmethod
    def _line_endings(cls, value: str) -> str:
        return value.replace("\r\n", "\n").replace("\r", "\n")


class Issue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quote: str = Field(min_length=1, description="Exactly response[start:end].")
    start: StrictOffset
    end: StrictOffset
    severity: str
    category: str | None = None
    comment: str = Field(max_length=4000)


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    no_issues: bool
    issues: list[Issue] = Field(default_factory=list, max_length=100)


class Critique(TaskType[Config, Payload, Answer]):
    name = "critique"
    description = "Find the issues in a response (often code), each anchored to an exact quoted span."
    agreement_level = "nominal"
    config_model = Config
    payload_model = Payload
    answer_model = Answer

    def check_answer(self, answer: Answer, payload: Payload, config: Config) -> None:
        response = payload.response
        problems: list[dict[str, Any]] = []
        if answer.no_issues and answer.issues:
            problems.append(field_error("answer.issues", "must be empty when no_issues is true"))
        if not answer.no_issues and not answer.issues:
            problems.append(field_error("answer.issues", "list at least one issue, or set no_issues to true"))
        for i, issue in enumerate(answer.issues):
            at = f"answer.issues.{i}"
            if issue.end <= issue.start:
                problems.append(field_error(f"{at}.end", f"must be greater than start ({issue.start})"))
            elif issue.end > len(response):
                problems.append(
                    field_error(f"{at}.end", f"beyond the end of the response ({len(response)} characters)")
                )
            elif response[issue.start : issue.end] != issue.quote:
                found = response.find(issue.quote)
                hint = f"; it occurs at {found}..{found + len(issue.quote)}" if found >= 0 else ""
                problems.append(
                    field_error(
                        f"{at}.quote", f"not found at {issue.start}..{issue.end} in the response{hint}"
                    )
                )
            if issue.severity not in config.severities:
                problems.append(
                    field_error(f"{at}.severity", f"must be one of {', '.join(config.severities)}")
                )
            if issue.category is not None and issue.category not in config.categories:
                allowed = (
                    ", ".join(config.categories)
                    if config.categories
                    else "none (this project has no categories)"
                )
                problems.append(field_error(f"{at}.category", f"must be one of {allowed}"))
            if not issue.comment.strip():
                problems.append(field_error(f"{at}.comment", "say what is wrong"))
        if problems:
            first = problems[0]
            raise Invalid(f"invalid answer: {first['field']}: {first['msg']}", problems)

    def public_payload(self, payload: dict[str, Any]) -> dict[str, Any]:
        # Annotators judge the response, not the model that wrote it.
        return {k: v for k, v in payload.items() if k != "response_model"}

    def critiqued_responses(self, payload: dict[str, Any]) -> list[CritiquedResponse]:
        prompt = payload.get("prompt")
        messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt or [])
        return [CritiquedResponse(0, messages, str(payload.get("response", "")))]

    def found_spans(self, answer: dict[str, Any]) -> list[tuple[int, int, int]]:
        return [
            (0, int(i["start"]), int(i["end"]))
            for i in answer.get("issues") or []
            if isinstance(i, dict) and isinstance(i.get("start"), int) and isinstance(i.get("end"), int)
        ]

    def candidates(self, payload: Payload) -> list[CandidateInfo]:
        # The judged text is one model output: its provenance goes with the item into exports.
        return (
            []
            if payload.response_model is None
            else [CandidateInfo(position=0, model=payload.response_model)]
        )

    def consensus(self, answers: list[dict[str, Any]], config: Config) -> Consensus:
        n = len(answers)
        if n == 0:
            return Consensus(None, 0.0, "span-clusters", 0)
        clusters = cluster_issues([a.get("issues") or [] for a in answers])
        yes = sum(1 for a in answers if a.get("no_issues"))
        agreement = [max(yes, n - yes) / n]
        kept: list[dict[str, Any]] = []
        for cluster in clusters:
            support = len(cluster.members)
            agreement.append(max(support, n - support) / n)
            if support * 2 > n:
                kept.append(_summarise(cluster, n, config))
        kept.sort(key=lambda issue: (issue["start"], issue["end"]))
        answer = {"no_issues": yes * 2 > n, "issues": kept}
        return Consensus(answer, sum(agreement) / len(agreement), "span-clusters", n)

    def exports(self) -> Mapping[str, ExportWriter]:
        return {"critiques": _critique_rows}

    def agreement_values(self, answer: dict[str, Any], config: Config) -> dict[str, Any]:
        # Free spans and comments have no simple equality; whether there is any issue does.
        return {"no_issues": bool(answer.get("no_issues"))}

    def example(self) -> dict[str, Any]:
        item = DEMO_ITEMS[0]
        response = item["payload"]["response"]
        quote = "xs[i] < best"
        start = response.index(quote)
        return {
            "config": {
                "severities": ["minor", "major", "critical"],
                "categories": ["bug", "security", "style"],
            },
            "item": item,
            "answer": {
                "no_issues": False,
                "issues": [
                    {
                        "quote": quote,
                        "start": start,
                        "end": start + len(quote),
                        "severity": "major",
                        "category": "bug",
                        "comment": "Keeps the smallest value: the comparison should be >.",
                    }
                ],
            },
        }

    def contrasting_answer(self) -> dict[str, Any]:
        return {"no_issues": True, "issues": []}

    def invalid_answers(self) -> list[tuple[dict[str, Any], str]]:
        good = self.example()["answer"]
        issue = good["issues"][0]
        return [
            (
                {"no_issues": False, "issues": [{**issue, "start": issue["start"] + 1}]},
                "answer.issues.0.quote",
            ),
            ({"no_issues": True, "issues": [issue]}, "answer.issues"),
            ({"no_issues": False, "issues": []}, "answer.issues"),
            (
                {"no_issues": False, "issues": [issue, {**issue, "severity": "fatal"}]},
                "answer.issues.1.severity",
            ),
            ({"no_issues": False, "issues": [{**issue, "category": "taste"}]}, "answer.issues.0.category"),
            ({"no_issues": False, "issues": [{**issue, "end": 10_000}]}, "answer.issues.0.end"),
        ]

    def demo_items(self) -> list[dict[str, Any]]:
        return [dict(item) for item in DEMO_ITEMS]


@dataclass
class _Member:
    annotator: int
    issue: dict[str, Any]

    @property
    def span(self) -> tuple[int, int]:
        return int(self.issue["start"]), int(self.issue["end"])


@dataclass
class _Cluster:
    members: list[_Member]


def iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Intersection over union of two half-open character spans."""
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


def cluster_issues(per_annotator: list[list[dict[str, Any]]]) -> list[_Cluster]:
    """Group issues of different annotators that mark the same span (mean IoU with the cluster >= 0.5).

    Deterministic: issues are taken in span order; each joins the cluster with the highest mean IoU that
    holds no issue of the same annotator yet, or starts a new one."""
    members = [_Member(a, issue) for a, issues in enumerate(per_annotator) for issue in issues]
    members.sort(key=lambda m: (m.span[0], m.span[1], m.annotator))
    clusters: list[_Cluster] = []
    for member in members:
        best: _Cluster | None = None
        best_score = IOU_THRESHOLD
        for cluster in clusters:
            if any(m.annotator == member.annotator for m in cluster.members):
                continue
            score = sum(iou(member.span, m.span) for m in cluster.members) / len(cluster.members)
            if score >= best_score and (best is None or score > best_score):
                best, best_score = cluster, score
        if best is None:
            clusters.append(_Cluster([member]))
        else:
            best.members.append(member)
    return clusters


def _summarise(cluster: _Cluster, n: int, config: Config) -> dict[str, Any]:
    """The cluster's medoid span (the member closest to all others) with the majority severity and category.

    Severity ties go to the more severe; category ties to the first in the config's list."""
    members = cluster.members
    medoid = max(
        members,
        key=lambda m: (sum(iou(m.span, o.span) for o in members), -m.span[0], -(m.span[1] - m.span[0])),
    )
    severities = count_votes(m.issue["severity"] for m in members)
    severity, _ = plurality(severities, list(reversed(config.severities)))
    categories = count_votes(m.issue["category"] for m in members if m.issue.get("category"))
    category = plurality(categories, config.categories)[0] if categories else None
    return {
        "start": medoid.span[0],
        "end": medoid.span[1],
        "quote": medoid.issue["quote"],
        "severity": severity,
        "category": category,
        "comment": medoid.issue.get("comment", ""),
        "support": len(members) / n,
    }


def _critique_rows(item: ExportItem, config: Config, consensus: Consensus) -> Iterable[dict[str, Any]]:
    """One row per judged item: the consensus issues with character offsets into ``response``."""
    if consensus.answer is None:
        return []
    return [
        {
            "external_id": item.external_id,
            "prompt": item.payload["prompt"],
            "response": item.payload["response"],
            "language": item.payload.get("language"),
            "response_model": item.payload.get("response_model"),
            "issues": consensus.answer["issues"],
            "no_issues": consensus.answer["no_issues"],
            "confidence": consensus.confidence,
            "n_judgments": consensus.n_judgments,
        }
    ]


def _item(external_id: str, prompt: str, response: str, model: str) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "payload": {"prompt": prompt, "response": response, "language": "python", "response_model": model},
        "metadata": {"source": "demo"},
    }


DEMO_ITEMS = [
    _item(
        "critique-1",
        "Write a Python function that returns the largest number in a non-empty list.",
        "def largest(xs):\n"
        "    best = xs[0]\n"
        "    for i in range(1, len(xs)):\n"
        "        if xs[i] < best:\n"
        "            best = xs[i]\n"
        "    return best\n",
        "demo-coder-small",
    ),
    _item(
        "critique-2",
        "Write a function that reads a JSON config file and returns it as a dict.",
        "import json\n\ndef load_config(path):\n    f = open(path)\n    return eval(f.read())\n",
        "demo-coder-small",
    ),
    _item(
        "critique-3",
        "Write a function that returns the average of a list of numbers.",
        "def average(values):\n    return sum(values) / len(values) - 1\n",
        "demo-coder-large",
    ),
    _item(
        "critique-4",
        "Write a function that checks whether a string is a palindrome, ignoring case.",
        "def is_palindrome(s):\n    s = s.lower()\n    return s == s[::-1]\n",
        "demo-coder-large",
    ),
    _item(
        "critique-5",
        "Write a function that appends an item to a list and returns the list; default to a new list.",
        "def add_item(item, items=[]):\n    items.append(item)\n    return items\n",
        "demo-coder-small",
    ),
]

TASK_TYPE = Critique()
