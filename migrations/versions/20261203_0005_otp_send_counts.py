"""OTP sending budgets: codes sent per hour by client address, phone prefix and in all.

Revision ID: 0005
Revises: 0010
Create Date: 2026-12-03 08:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "otp_send_counts",
        sa.Column(
            "scope",
            sa.Enum(
                "ADDRESS",
                "PREFIX",
                "GLOBAL",
                name="scope",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.Column("exhausted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("sends >= 1", name=op.f("ck_otp_send_counts_sends_positive")),
        sa.PrimaryKeyConstraint("scope", "key", "window_start", name=op.f("pk_otp_send_counts")),
    )


def downgrade() -> None:
    op.drop_table("otp_send_counts")
