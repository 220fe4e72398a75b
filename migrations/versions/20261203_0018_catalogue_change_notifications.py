"""The public catalogue's tables announce every committed change (the response cache hears it).

A statement-level trigger on accounts, categories and schedules sends
``NOTIFY medimyth_catalogue, '<table>'``: PostgreSQL delivers it only if, and just
after, the writing transaction commits, whoever wrote (the API, a worker, psql, another
instance), and folds a transaction's repeats into one.

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-03 15:40:00.000000

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0018"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("accounts", "categories", "schedules")


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION medimyth_catalogue_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('medimyth_catalogue', TG_TABLE_NAME);
            RETURN NULL;
        END
        $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER trg_{table}_catalogue_changed "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION medimyth_catalogue_changed()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER trg_{table}_catalogue_changed ON {table}")
    op.execute("DROP FUNCTION medimyth_catalogue_changed()")
