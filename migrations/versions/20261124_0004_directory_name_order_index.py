"""Index active doctors by lower(name), id: the directory's name order (replaces the (name, id) index).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 21:20:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIVE_DOCTORS = "role = 'DOCTOR' AND status = 'ACTIVE'"


def upgrade() -> None:
    """The directory orders by lower(name), id, which the (name, id) index never served."""
    op.create_index(
        "ix_accounts_active_doctors_lower_name",
        "accounts",
        [sa.text("lower(name)"), "id"],
        unique=False,
        postgresql_where=sa.text(_ACTIVE_DOCTORS),
    )
    op.drop_index(
        "ix_accounts_active_doctors_name",
        table_name="accounts",
        postgresql_where=sa.text(_ACTIVE_DOCTORS),
    )


def downgrade() -> None:
    op.create_index(
        "ix_accounts_active_doctors_name",
        "accounts",
        ["name", "id"],
        unique=False,
        postgresql_where=sa.text(_ACTIVE_DOCTORS),
    )
    op.drop_index(
        "ix_accounts_active_doctors_lower_name",
        table_name="accounts",
        postgresql_where=sa.text(_ACTIVE_DOCTORS),
    )
