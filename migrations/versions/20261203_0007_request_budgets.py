"""Request budgets per client address and signed-in account: an UNLOGGED table of GCRA cells.

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-03 08:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """UNLOGGED: written on nearly every request, and worthless after a crash."""
    op.create_table(
        "request_budgets",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("full_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_request_budgets")),
        prefixes=["UNLOGGED"],
    )


def downgrade() -> None:
    op.drop_table("request_budgets")
