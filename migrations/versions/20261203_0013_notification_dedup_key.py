"""Outbox messages that must go at most once carry a de-duplication key, unique when set.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 11:50:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("notifications", sa.Column("dedup_key", sa.String(length=128), nullable=True))
    op.create_index(
        "uq_notifications_dedup_key",
        "notifications",
        ["dedup_key"],
        unique=True,
        postgresql_where="dedup_key IS NOT NULL",
    )


def downgrade() -> None:
    op.drop_index("uq_notifications_dedup_key", table_name="notifications")
    op.drop_column("notifications", "dedup_key")
