"""Appointments keep the random salt their manage token is derived from.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 15:19:29.792984

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add appointments.manage_token_salt (null for rows whose token cannot be re-shown)."""
    op.add_column(
        "appointments", sa.Column("manage_token_salt", sa.String(length=64), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("appointments", "manage_token_salt")
