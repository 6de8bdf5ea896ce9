from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from quorum.db.types import JSONType
from quorum.models.base import Base, CreatedAt


class Project(CreatedAt, Base):
    """The policy columns hold a validated ``ProjectPolicy`` (``core/project_policy.py``): its fields,
    bounds and defaults are defined there, and ``projects/service.py`` validates before writing them."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    task_type: Mapped[str] = mapped_column(String(50), nullable=False)
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="active", nullable=False)
    overlap: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    lease_seconds: Mapped[int] = mapped_column(Integer, default=900, nullable=False)
    guideline_version: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # Live leases one annotator may hold at once; asking for more returns the oldest one held.
    max_leases: Mapped[int] = mapped_column(Integer, default=1, server_default="1", nullable=False)
    # Expertise an annotator needs here, e.g. {"math": 2}: every tag at least at that level.
    required_expertise: Mapped[dict[str, int]] = mapped_column(
        JSONType, default=dict, server_default="{}", nullable=False
    )
    # Share of claims that hand out a gold item (a hidden known answer that scores the annotator).
    gold_rate: Mapped[float] = mapped_column(Float, default=0.0, server_default="0", nullable=False)
    # The quality gate: under this mean gold score, after min_gold_judged gold items, no more work here.
    min_gold_accuracy: Mapped[float | None] = mapped_column(Float)
    min_gold_judged: Mapped[int] = mapped_column(Integer, default=5, server_default="5", nullable=False)
    # Adaptive overlap: up to overlap_max judgments while overlap_rule finds the answers inconclusive.
    overlap_max: Mapped[int | None] = mapped_column(Integer)
    overlap_rule: Mapped[str] = mapped_column(
        String(50), default="agreement", server_default="agreement", nullable=False
    )
    confidence_target: Mapped[float] = mapped_column(Float, default=1.0, server_default="1", nullable=False)
    # Review: the share of judgments sampled for review, and a consensus confidence under which every
    # judgment of the item goes to review (none: confidence sends nothing).
    review_rate: Mapped[float] = mapped_column(Float, default=0.0, server_default="0", nullable=False)
    review_confidence: Mapped[float | None] = mapped_column(Float)
    # Qualification: gold items served first as a test; none means no qualification. The mean gold
    # score over the first qualification_size gold judgments of an attempt must reach the threshold.
    qualification_size: Mapped[int | None] = mapped_column(Integer)
    qualification_threshold: Mapped[float] = mapped_column(
        Float, default=0.8, server_default="0.8", nullable=False
    )
    # Flags: an item flagged by this many different people (open flags) leaves the queue as "flagged"
    # until a manager resolves them; none means flags never take an item out of the queue.
    flag_threshold: Mapped[int | None] = mapped_column(Integer)
    # Assistance and its randomised control (``core/assistance.py`` draws each assignment's arms).
    suggestion_share: Mapped[float] = mapped_column(Float, default=0.0, server_default="0", nullable=False)
    suggestion_mode: Mapped[str] = mapped_column(
        String(16), default="hint", server_default="hint", nullable=False
    )
    probe_rate: Mapped[float] = mapped_column(Float, default=0.0, server_default="0", nullable=False)
    probe_flag_threshold: Mapped[float | None] = mapped_column(Float)
    critique_share: Mapped[float] = mapped_column(Float, default=0.0, server_default="0", nullable=False)
    # Whether any attached judge routes (``judges/routing.py``): read with the project on submit, so a
    # project without routing pays no extra query there.
    judge_routing: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False
    )
    # How far the workspace's heartbeat may push a lease past its first expiry; none: never extended.
    max_lease_extension_seconds: Mapped[int | None] = mapped_column(
        Integer, default=3600, server_default="3600"
    )
    # Whether annotators see (read) or also write (write) the comment threads of the items they worked on.
    annotator_comments: Mapped[str] = mapped_column(
        String(16), default="hidden", server_default="hidden", nullable=False
    )
    # Automatic candidate generation for messages-only imports (``generation/service.py`` validates it):
    # models, samples, params, pairing and the user whose jobs they become; none means off.
    auto_generate: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
