"""Trigram indexes on doctors' descriptions and specialty labels, for typo-tolerant search.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 15:20:54.100733

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Index description and category_label with gin_trgm_ops (name already is, since 0001)."""
    op.create_index(
        "ix_accounts_category_label_trgm",
        "accounts",
        ["category_label"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"category_label": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_accounts_description_trgm",
        "accounts",
        ["description"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"description": "gin_trgm_ops"},
    )


def downgrade() -> None:
    """Drop the two search indexes."""
    op.drop_index("ix_accounts_description_trgm", table_name="accounts")
    op.drop_index("ix_accounts_category_label_trgm", table_name="accounts")
