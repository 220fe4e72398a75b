"""The audit trail: audit_events, append-only in the database.

Revision ID: 0008
Revises: 0011
Create Date: 2026-12-03 08:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The values as this revision stores them; a later revision that adds an action
# drops and recreates ck_audit_events_action.
_ACTIONS = (
    "LOGIN_SUCCEEDED",
    "LOGIN_FAILED",
    "PASSWORD_CHANGED",
    "PASSWORD_CHANGE_FAILED",
    "PASSWORD_RESET",
    "DOCTOR_ACTIVATED",
    "DOCTOR_SUSPENDED",
    "CATEGORY_CREATED",
    "CATEGORY_RENAMED",
    "APPOINTMENT_CANCELLED_BY_DOCTOR",
    "SCHEDULE_DELETED",
    "APPOINTMENTS_CANCELLED_FOR_VACATION",
    "ADMIN_CREATED",
    "CALENDAR_FEED_ROTATED",
)
_ACTOR_KINDS = ("DOCTOR", "ADMIN", "ANONYMOUS", "SYSTEM")
_TARGET_KINDS = ("ACCOUNT", "CATEGORY", "APPOINTMENT", "SCHEDULE", "VACATION")

# One statement-level trigger for UPDATE, DELETE and TRUNCATE: it fires even when no row
# matches, so any attempt fails loudly. It binds the table's owner too (REVOKE does not),
# which is what the application connects as on most platforms.
_APPEND_ONLY = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""
_TRIGGER = """
CREATE TRIGGER audit_events_append_only
BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()
"""


def upgrade() -> None:
    """Create audit_events, refuse UPDATE, DELETE and TRUNCATE on it, revoke them from PUBLIC."""
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "action",
            sa.Enum(*_ACTIONS, name="action", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column(
            "actor_kind",
            sa.Enum(*_ACTOR_KINDS, name="actor_kind", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("actor_account_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "target_kind",
            sa.Enum(*_TARGET_KINDS, name="target_kind", native_enum=False, create_constraint=True),
            nullable=True,
        ),
        sa.Column("target_id", sa.BigInteger(), nullable=True),
        sa.Column("client_address", postgresql.INET(), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_action_id", "audit_events", ["action", "id"], unique=False)
    op.create_index(
        "ix_audit_events_actor_account_id_id",
        "audit_events",
        ["actor_account_id", "id"],
        unique=False,
    )
    op.execute(_APPEND_ONLY)
    op.execute(_TRIGGER)
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM PUBLIC")


def downgrade() -> None:
    # DROP TABLE is not refused by the trigger: only whoever may drop tables can undo this.
    op.drop_table("audit_events")
    op.execute("DROP FUNCTION audit_events_append_only()")
