"""heavy work out of requests: stored consensus fits, cached quality reports, one pending job per key

Revision ID: 0017
Revises: 0013
Create Date: 2026-12-01 10:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import quorum.db.types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here rather than imported, so later changes to the app cannot rewrite history.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
PENDING_SQL = "dedupe_key IS NOT NULL AND status IN ('todo', 'doing')"


def upgrade() -> None:
    op.create_table(
        "consensus_fits",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fitted_at", quorum.db.types.UTCDateTime(), nullable=False),
        sa.Column("last_judgment_id", sa.Integer(), nullable=False),
        sa.Column("n_judgments", sa.Integer(), nullable=False),
        sa.Column("model", JSON, nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_consensus_fits_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_consensus_fits")),
    )
    op.create_table(
        "quality_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("options", sa.String(length=100), nullable=False),
        sa.Column("data_version", sa.String(length=100), nullable=False),
        sa.Column("report", JSON, nullable=False),
        sa.Column("computed_at", quorum.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_quality_reports_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_reports")),
        sa.UniqueConstraint("project_id", "options", name=op.f("uq_quality_reports_project_id_options")),
    )
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("dedupe_key", sa.String(length=200), nullable=True))
    op.create_index(
        "uq_jobs_pending_key",
        "jobs",
        ["dedupe_key"],
        unique=True,
        postgresql_where=sa.text(PENDING_SQL),
        sqlite_where=sa.text(PENDING_SQL),
    )


def downgrade() -> None:
    op.drop_index("uq_jobs_pending_key", table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("dedupe_key")
    op.drop_table("quality_reports")
    op.drop_table("consensus_fits")
