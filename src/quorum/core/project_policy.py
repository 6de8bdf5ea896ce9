"""A project's policies: the one definition of each field, its bounds and its default.

The API's create/patch/read shapes, the settings page, the CLI options and the queue's pure rules
(``core/policy.py``) all derive from ``ProjectPolicy``; adding a field here adds it everywhere.

One reading of "none": an optional policy (``overlap_max``, ``min_gold_accuracy``, ``review_confidence``,
``qualification_size``, ``flag_threshold``) is off when it is ``None`` (``null`` in JSON, blank or
``none`` on the settings page and the CLI). Zero is never a way to say none: where zero makes no sense
(a qualification of 0 items, 0 flaggers) it is refused like any other value out of bounds.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

Status = Literal["draft", "active", "paused", "archived"]
MAX_OVERLAP = 50
# Short leases are for tests and simulations; real projects use minutes.
MAX_LEASE_SECONDS = 7 * 24 * 3600


def _not_bool(value: Any) -> Any:
    # Pydantic reads true as 1; a policy given as true/false is a mistake, not a number.
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


# Numbers only: in the type, so the shapes derived from this model (the API's patch) refuse booleans too.
Int = Annotated[int, BeforeValidator(_not_bool)]
Float = Annotated[float, BeforeValidator(_not_bool)]


def _share(default: float | None, title: str, description: str) -> Any:
    return Field(default, ge=0.0, le=1.0, title=title, description=description)


class ProjectPolicy(BaseModel):
    """Who gets which item, how often, for how long, and what quality it must meet."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    status: Status = Field("active", title="Status", description="only an active project hands out work")
    overlap: Int = Field(
        1,
        ge=1,
        le=MAX_OVERLAP,
        title="Overlap",
        description="judgments wanted per item (the minimum when overlap is adaptive)",
    )
    overlap_max: Int | None = Field(
        None,
        ge=1,
        le=MAX_OVERLAP,
        title="Overlap max",
        description="adaptive overlap: up to this many judgments while the answers are inconclusive; "
        "none: fixed overlap",
    )
    overlap_rule: str = Field(
        "agreement",
        min_length=1,
        max_length=50,
        title="Overlap rule",
        description="the adaptive-overlap rule that says whether answers are conclusive",
    )
    confidence_target: Float = _share(1.0, "Confidence target", "the confidence the overlap rule wants")
    lease_seconds: Int = Field(
        900,
        ge=1,
        le=MAX_LEASE_SECONDS,
        title="Lease (seconds)",
        description="how long an annotator holds an item, in seconds",
    )
    max_lease_extension_seconds: Int | None = Field(
        3600,
        ge=1,
        le=MAX_LEASE_SECONDS,
        title="Lease extension (seconds)",
        description="while the workspace is open and the person works, its heartbeat extends the lease up to "
        "this long past its first expiry; none: leases are never extended",
    )
    max_leases: Int = Field(
        1,
        ge=1,
        le=100,
        title="Leases per annotator",
        description="live leases one annotator may hold at once",
    )
    required_expertise: dict[str, int] = Field(
        default_factory=dict,
        title="Required expertise",
        description="tag=level pairs, e.g. math=2: only users with at least that level get work",
    )
    gold_rate: Float = _share(0.0, "Gold rate", "share of claims that serve a gold item")
    min_gold_accuracy: Float | None = _share(
        None,
        "Minimum gold accuracy",
        "the quality gate: under this mean gold score an annotator gets no more work; none: no gate",
    )
    min_gold_judged: Int = Field(
        5,
        ge=1,
        le=10_000,
        title="Gold judged before the gate",
        description="scored gold judgments before the quality gate applies",
    )
    review_rate: Float = _share(0.0, "Review rate", "share of judgments sampled for review")
    review_confidence: Float | None = _share(
        None,
        "Review under confidence",
        "every judgment of an item whose consensus confidence is under this goes to review; none: off",
    )
    annotator_comments: Literal["hidden", "read", "write"] = Field(
        "hidden",
        title="Comments for annotators",
        description="whether annotators see the comment threads of items they worked on (read) and may "
        "add to them (write); managers and reviewers always do",
    )
    qualification_size: Int | None = Field(
        None,
        ge=1,
        le=1000,
        title="Qualification size",
        description="gold items served first as a test; none: no qualification",
    )
    qualification_threshold: Float = _share(
        0.8, "Pass mark", "mean gold score over the qualification needed to pass"
    )
    flag_threshold: Int | None = Field(
        None,
        ge=1,
        le=1000,
        title="Flaggers to leave the queue",
        description="an item flagged by this many people leaves the queue; none: never",
    )

    # Assistance: each kind runs with a randomised control, drawn per assignment at claim and recorded
    # (``core/assistance.py``), so its effect on the data is measured against the blind share.
    suggestion_share: Float = _share(
        0.0,
        "Suggestion share",
        "share of assignments shown the item's model suggestion; the rest are served blind",
    )
    suggestion_mode: Literal["hint", "prefill"] = Field(
        "hint",
        title="Suggestion mode",
        description="how a suggestion is shown: hint (beside the form) or prefill (the form starts from it)",
    )
    probe_rate: Float = _share(
        0.0,
        "Probe rate",
        "on gold items, share of suggested assignments shown a known-wrong suggestion (measures over-reliance)",
    )
    probe_flag_threshold: Float | None = _share(
        None,
        "Probe acceptance flag",
        "an annotator who accepts more than this share of wrong probe suggestions is flagged; none: off",
    )
    critique_share: Float = _share(
        0.0,
        "Critique share",
        "share of assignments shown the model critic's comments; the rest are served without them",
    )

    @field_validator("overlap_max")
    @classmethod
    def _at_least_the_overlap(cls, value: int | None, info: ValidationInfo) -> int | None:
        overlap = info.data.get("overlap")
        if value is not None and overlap is not None and value < overlap:
            raise ValueError(f"must be at least the overlap ({overlap})")
        return value

    @property
    def active(self) -> bool:
        return self.status == "active"


POLICY_FIELDS: tuple[str, ...] = tuple(ProjectPolicy.model_fields)
