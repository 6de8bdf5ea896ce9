"""SFT demonstrations: the ideal assistant reply to a conversation that ends with a user turn, written from
scratch or edited from a model's draft.

Answer shape: ``{"reply": "…", "from_draft": true, "edit_distance": 12}``. ``edit_distance`` is the
Levenshtein distance (in characters) from the draft to the reply and is filled by the server: ``parse_answer``
computes it from the item and returns a copy of the answer with it set, so the stored judgment keeps it. A
client may leave it out; if it sends one, it must equal the server's count. Items without a draft have no
edit distance.

Agreement level: "nominal". Texts have no order and no mean, so interval/ordinal statistics do not apply;
consensus picks the medoid reply (see ``Sft.consensus``), and agreement between two replies is their
normalised similarity.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from quorum.task_types.base import CandidateInfo, Consensus, ExportItem, ExportWriter, TaskType, refuse
from quorum.task_types.chat import Message


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_chars: int = Field(
        default=1, ge=1, description="Shortest reply accepted (after trimming whitespace)."
    )
    max_chars: int | None = Field(
        default=None, ge=1, description="Longest reply accepted; null for no limit."
    )

    @model_validator(mode="after")
    def _bounds(self) -> Config:
        if self.max_chars is not None and self.max_chars < self.min_chars:
            raise ValueError("max_chars must be at least min_chars")
        return self


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages: list[Message] = Field(min_length=1)
    draft: str | None = Field(default=None, description="A model's reply for the annotator to edit.")
    draft_model: str | None = None
    draft_provider: str | None = None
    draft_params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _shape(self) -> Payload:
        if self.messages[-1].role != "user":
            raise ValueError("the conversation must end with a user turn (the reply answers it)")
        if self.draft is None and (self.draft_model or self.draft_provider or self.draft_params):
            raise ValueError("draft_model, draft_provider and draft_params describe a draft; there is none")
        return self


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reply: str = Field(description="The ideal assistant reply.")
    from_draft: StrictBool = Field(default=False, description="True when the reply is an edit of the draft.")
    edit_distance: StrictInt | None = Field(
        default=None, ge=0, description="Characters changed from the draft; filled by the server."
    )


class Sft(TaskType[Config, Payload, Answer]):
    name = "sft"
    description = (
        "Write the ideal assistant reply to a conversation, from scratch or by editing a model's draft."
    )
    agreement_level = "nominal"
    config_model = Config
    payload_model = Payload
    answer_model = Answer

    def parse_answer(self, raw: Any, payload: Payload, config: Config) -> Answer:
        """Validates, then returns a copy with ``edit_distance`` computed from the draft (the judgment is
        stored from what this returns)."""
        answer = super().parse_answer(raw, payload, config)
        return answer.model_copy(update={"edit_distance": _distance_to_draft(answer.reply, payload.draft)})

    def check_answer(self, answer: Answer, payload: Payload, config: Config) -> None:
        problems: list[tuple[str, str]] = []
        length = len(answer.reply.strip())
        if length < config.min_chars:
            problems.append(("answer.reply", f"write at least {config.min_chars} characters"))
        if config.max_chars is not None and len(answer.reply) > config.max_chars:
            problems.append(
                ("answer.reply", f"at most {config.max_chars} characters (this is {len(answer.reply)})")
            )
        if answer.from_draft and payload.draft is None:
            problems.append(("answer.from_draft", "this item has no draft"))
        if answer.edit_distance is not None:
            expected = _distance_to_draft(answer.reply, payload.draft)
            if answer.edit_distance != expected:
                problems.append(
                    (
                        "answer.edit_distance",
                        "computed by the server; leave it out"
                        if expected is None
                        else f"is {expected}, not {answer.edit_distance}; leave it out to have it computed",
                    )
                )
        refuse(problems)

    def public_payload(self, payload: dict[str, Any]) -> dict[str, Any]:
        # The annotator sees the draft, never which model wrote it.
        public: dict[str, Any] = {"messages": payload["messages"]}
        if payload.get("draft") is not None:
            public["draft"] = payload["draft"]
        return public

    def candidates(self, payload: Payload) -> list[CandidateInfo]:
        if payload.draft is None:
            return []
        return [
            CandidateInfo(
                position=0,
                model=payload.draft_model,
                provider=payload.draft_provider,
                params=payload.draft_params,
            )
        ]

    def consensus(self, answers: list[dict[str, Any]], config: Config) -> Consensus:
        """Texts have no average: the consensus is the medoid, the reply with the highest mean similarity to
        the others (similarity = 1 - Levenshtein distance / length of the longer text); an exact tie goes
        to the earliest answer. Confidence is that mean similarity (1.0 when all replies are identical)."""
        n = len(answers)
        if n == 0:
            return Consensus(None, 0.0, "medoid", 0)
        if n == 1:
            return Consensus(dict(answers[0]), 1.0, "medoid", 1)
        replies = [str(a["reply"]) for a in answers]
        sims = [[1.0] * n for _ in range(n)]
        for i in range(n):
            for j in range(i + 1, n):
                sims[i][j] = sims[j][i] = similarity(replies[i], replies[j])
        means = [(sum(row) - 1.0) / (n - 1) for row in sims]
        best = max(range(n), key=lambda i: (means[i], -i))
        return Consensus(dict(answers[best]), means[best], "medoid", n)

    def exports(self) -> Mapping[str, ExportWriter]:
        return {"sft": _sft_rows}

    def agreement_values(self, answer: dict[str, Any], config: Config) -> dict[str, Any]:
        # Two written replies are almost never equal; whether the draft was kept as a starting point is
        # the one answer part that annotators can agree on.
        return {"from_draft": bool(answer.get("from_draft"))}

    def example(self) -> dict[str, Any]:
        return {
            "config": {"min_chars": 10, "max_chars": 4000},
            "item": {
                "external_id": "sft-1",
                "payload": {
                    "messages": [
                        {"role": "system", "content": "You are a concise assistant."},
                        {"role": "user", "content": "How many minutes are there in a week?"},
                    ],
                    "draft": "There are 10,080 minutes in a week.",
                    "draft_model": "drafter-demo-model",
                    "draft_params": {"temperature": 0.3},
                },
                "metadata": {"source": "demo"},
            },
            "answer": {
                "reply": "There are 10,080 minutes in a week (7 days × 24 hours × 60 minutes).",
                "from_draft": True,
            },
        }

    def contrasting_answer(self) -> dict[str, Any]:
        return {"reply": "A week has 7 × 24 × 60 = 10,080 minutes.", "from_draft": False}

    def invalid_answers(self) -> list[tuple[dict[str, Any], str]]:
        return [
            ({"reply": "   ", "from_draft": False}, "answer.reply"),
            ({"reply": "10080", "from_draft": True}, "answer.reply"),  # shorter than min_chars
            ({"reply": "x" * 4001}, "answer.reply"),
            (
                {"reply": "There are 10,080 minutes in a week.", "from_draft": True, "edit_distance": 3},
                "answer.edit_distance",
            ),
            ({"reply": "There are 10,080 minutes in a week.", "from_draft": "yes"}, "answer.from_draft"),
        ]

    def demo_items(self) -> list[dict[str, Any]]:
        rows = []
        for i, (messages, draft) in enumerate(DEMO_DEMONSTRATIONS):
            payload: dict[str, Any] = {"messages": messages}
            if draft is not None:
                payload.update(draft=draft, draft_model="demo-model-large", draft_params={"temperature": 0.7})
            rows.append({"external_id": f"sft-{i + 1}", "payload": payload, "metadata": {"source": "demo"}})
        return rows


# ---- edit distance (pure) -----------------------------------------------------------------------------


def levenshtein(a: str, b: str) -> int:
    """Levenshtein distance in characters (insertions, deletions, substitutions each cost 1).

    Bit-parallel (Myers 1999, Hyyrö 2001) over Python integers: one pass over the longer text, each step a
    few operations on a bit vector as long as the shorter one, so a few thousand characters take
    milliseconds. The common prefix and suffix, usually most of an edited draft, are stripped first."""
    if a == b:
        return 0
    start, limit = 0, min(len(a), len(b))
    while start < limit and a[start] == b[start]:
        start += 1
    end_a, end_b = len(a), len(b)
    while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
        end_a, end_b = end_a - 1, end_b - 1
    a, b = a[start:end_a], b[start:end_b]
    if len(a) > len(b):
        a, b = b, a
    if not a:
        return len(b)
    m = len(a)
    peq: dict[str, int] = {}
    for i, ch in enumerate(a):
        peq[ch] = peq.get(ch, 0) | (1 << i)
    full, top = (1 << m) - 1, 1 << (m - 1)
    pv, mv, score = full, 0, m
    for ch in b:
        eq = peq.get(ch, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & full)
        mh = pv & xh
        if ph & top:
            score += 1
        elif mh & top:
            score -= 1
        ph = ((ph << 1) | 1) & full
        mh = (mh << 1) & full
        pv = mh | (~(xv | ph) & full)
        mv = ph & xv
    return score


def similarity(a: str, b: str) -> float:
    """1 - distance / length of the longer text: 1.0 for identical texts, 0.0 for nothing in common."""
    longest = max(len(a), len(b))
    return 1.0 if longest == 0 else 1.0 - levenshtein(a, b) / longest


def _distance_to_draft(reply: str, draft: str | None) -> int | None:
    return None if draft is None else levenshtein(draft, reply)


# ---- export -------------------------------------------------------------------------------------------


def _sft_rows(item: ExportItem, config: Config, consensus: Consensus) -> Iterable[dict[str, Any]]:
    """The conversational form TRL's SFTTrainer reads: ``messages`` ends with the consensus reply."""
    if consensus.answer is None:
        return []
    reply = str(consensus.answer["reply"])
    draft = item.payload.get("draft")
    distance = consensus.answer.get("edit_distance")
    if distance is None and draft is not None:
        distance = levenshtein(draft, reply)  # answers stored before the server filled it
    return [
        {
            "messages": [*item.payload["messages"], {"role": "assistant", "content": reply}],
            "external_id": item.external_id,
            "edit_distance": distance,
            "from_draft": bool(consensus.answer.get("from_draft", False)),
            "draft_model": item.payload.get("draft_model"),
            "confidence": consensus.confidence,
            "n_judgments": consensus.n_judgments,
        }
    ]


DEMO_DEMONSTRATIONS: list[tuple[list[dict[str, Any]], str | None]] = [
    (
        [{"role": "user", "content": "Explain recursion to a ten-year-old in three sentences."}],
        "Recursion is when a function calls itself. It keeps doing this until it reaches a base case. "
        "Then all the calls return.",
    ),
    (
        [
            {"role": "system", "content": "You are a helpful assistant for a bike shop."},
            {"role": "user", "content": "My chain keeps slipping when I pedal hard. What should I check?"},
        ],
        "Check the chain for wear with a chain checker, and look at the cassette teeth. "
        "A worn chain on a worn cassette slips under load; usually you replace both.",
    ),
    (
        [
            {"role": "user", "content": "Write a Python function that returns the n-th Fibonacci number."},
            {"role": "assistant", "content": "Do you want it recursive or iterative?"},
            {"role": "user", "content": "Iterative, please, and handle n = 0."},
        ],
        "```python\ndef fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n```",
    ),
    (
        [{"role": "user", "content": "Give me a polite way to decline a meeting invitation."}],
        None,
    ),
    (
        [
            {"role": "user", "content": "What's the population of Reykjavík?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_7",
                        "type": "function",
                        "function": {"name": "lookup_city", "arguments": '{"name": "Reykjavík"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_7", "content": '{"population": 139875, "year": 2024}'},
            {"role": "user", "content": "Just the number and year, please."},
        ],
        "About 139,875 (2024).",
    ),
]

TASK_TYPE = Sft()
