"""Waitlist entries of full sessions: one line per session, one wait per patient.

Revision ID: 0015
Revises: 0016
Create Date: 2026-12-03 11:45:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("WAITING", "PROMOTED", "LEFT", "EXPIRED")


def upgrade() -> None:
    """Create waitlist_entries with its line index and the one-wait-per-patient index."""
    op.create_table(
        "waitlist_entries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("schedule_id", sa.BigInteger(), nullable=False),
        sa.Column("session_date", sa.Date(), nullable=False),
        sa.Column("patient_name", sa.String(length=200), nullable=False),
        sa.Column("patient_age", sa.SmallInteger(), nullable=False),
        sa.Column("patient_phone", sa.String(length=16), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="status", native_enum=False, create_constraint=True),
            server_default="WAITING",
            nullable=False,
        ),
        sa.Column("manage_token_hash", sa.String(length=128), nullable=False),
        sa.Column("manage_token_salt", sa.String(length=64), nullable=False),
        sa.Column("appointment_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(status = 'PROMOTED') = (appointment_id IS NOT NULL)",
            name=op.f("ck_waitlist_entries_appointment_iff_promoted"),
        ),
        sa.CheckConstraint(
            "length(btrim(patient_name)) > 0",
            name=op.f("ck_waitlist_entries_patient_name_not_blank"),
        ),
        sa.CheckConstraint(
            "patient_age BETWEEN 0 AND 130", name=op.f("ck_waitlist_entries_patient_age_range")
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_waitlist_entries_appointment_id_appointments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_waitlist_entries_schedule_id_schedules"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_waitlist_entries_appointment_id")),
    )
    op.create_index("ix_waitlist_entries_patient_phone", "waitlist_entries", ["patient_phone"])
    op.create_index(
        "ix_waitlist_entries_waiting_line",
        "waitlist_entries",
        ["schedule_id", "session_date", "id"],
        postgresql_where="status = 'WAITING'",
    )
    op.create_index(
        "uq_waitlist_entries_one_wait_per_patient",
        "waitlist_entries",
        [
            "schedule_id",
            "session_date",
            "patient_phone",
            sa.literal_column("lower(btrim(patient_name))"),
        ],
        unique=True,
        postgresql_where="status = 'WAITING'",
    )


def downgrade() -> None:
    op.drop_table("waitlist_entries")
