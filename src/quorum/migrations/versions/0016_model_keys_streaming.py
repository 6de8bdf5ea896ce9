"""model connections, the rest: encrypted API keys and the time to first token of streamed calls

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-01 10:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("model_endpoints") as batch:
        batch.add_column(sa.Column("api_key_sealed", sa.Text(), nullable=True))
    with op.batch_alter_table("model_calls") as batch:
        batch.add_column(sa.Column("first_token_ms", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("model_calls") as batch:
        batch.drop_column("first_token_ms")
    with op.batch_alter_table("model_endpoints") as batch:
        batch.drop_column("api_key_sealed")
