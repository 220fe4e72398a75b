"""Calendar feeds: each account's feed token, and per-token feed state (budget, last change).

Revision ID: 0011
Revises: 0004
Create Date: 2026-12-03 08:40:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The model's default (db/models/accounts.py): volatile, so every existing row gets its own.
TOKEN_DEFAULT = "replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')"


def upgrade() -> None:
    """Add accounts.calendar_feed_token (unique, random per row) and calendar_feed_states."""
    op.add_column(
        "accounts",
        sa.Column(
            "calendar_feed_token",
            sa.String(length=64),
            server_default=sa.text(TOKEN_DEFAULT),
            nullable=False,
        ),
    )
    op.create_unique_constraint(
        op.f("uq_accounts_calendar_feed_token"), "accounts", ["calendar_feed_token"]
    )
    op.create_table(
        "calendar_feed_states",
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("etag", sa.String(length=64), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "requests >= 0", name=op.f("ck_calendar_feed_states_requests_not_negative")
        ),
        sa.PrimaryKeyConstraint("token_digest", name=op.f("pk_calendar_feed_states")),
    )


def downgrade() -> None:
    op.drop_table("calendar_feed_states")
    op.drop_constraint(op.f("uq_accounts_calendar_feed_token"), "accounts", type_="unique")
    op.drop_column("accounts", "calendar_feed_token")
