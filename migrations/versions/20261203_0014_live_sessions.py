"""The session day: stored live state per session, IN_CONSULTATION, walk-ins, consult lengths.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 12:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES_BEFORE = (
    "BOOKED",
    "CANCELLED_BY_PATIENT",
    "CANCELLED_BY_DOCTOR",
    "ARRIVED",
    "NO_SHOW",
    "COMPLETED",
)
_STATUSES = (*_STATUSES_BEFORE, "IN_CONSULTATION")


def _status_check(values: Sequence[str]) -> None:
    op.drop_constraint(op.f("ck_appointments_status"), "appointments", type_="check")
    listed = ", ".join(f"'{value}'" for value in values)
    op.create_check_constraint(
        op.f("ck_appointments_status"), "appointments", f"status IN ({listed})"
    )


def upgrade() -> None:
    op.create_table(
        "live_sessions",
        sa.Column("schedule_id", sa.BigInteger(), nullable=False),
        sa.Column("session_date", sa.Date(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "NOT_STARTED",
                "RUNNING",
                "PAUSED",
                "ENDED",
                name="state",
                native_enum=False,
                create_constraint=True,
            ),
            server_default="NOT_STARTED",
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delay_minutes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("notice", sa.String(length=280), nullable=True),
        sa.Column("now_serving", sa.Integer(), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "delay_minutes BETWEEN 0 AND 720", name=op.f("ck_live_sessions_delay_minutes_range")
        ),
        sa.CheckConstraint(
            "state = 'NOT_STARTED' OR started_at IS NOT NULL",
            name=op.f("ck_live_sessions_started_when_begun"),
        ),
        sa.CheckConstraint(
            "(state = 'ENDED') = (ended_at IS NOT NULL)",
            name=op.f("ck_live_sessions_ended_at_iff_ended"),
        ),
        sa.CheckConstraint(
            "now_serving IS NULL OR now_serving >= 1",
            name=op.f("ck_live_sessions_now_serving_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_live_sessions_schedule_id_schedules"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("schedule_id", "session_date", name=op.f("pk_live_sessions")),
    )
    _status_check(_STATUSES)
    op.alter_column("appointments", "patient_phone", existing_type=sa.String(16), nullable=True)
    op.add_column(
        "appointments",
        sa.Column("is_walk_in", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("appointments", sa.Column("called_at", sa.DateTime(timezone=True)))
    op.add_column("appointments", sa.Column("completed_at", sa.DateTime(timezone=True)))
    op.create_check_constraint(
        op.f("ck_appointments_called_when_in_consultation"),
        "appointments",
        "status <> 'IN_CONSULTATION' OR called_at IS NOT NULL",
    )
    op.create_check_constraint(
        op.f("ck_appointments_booked_with_phone"),
        "appointments",
        "is_walk_in OR patient_phone IS NOT NULL",
    )
    op.create_index(
        "uq_appointments_one_in_consultation",
        "appointments",
        ["schedule_id", "session_date"],
        unique=True,
        postgresql_where="status = 'IN_CONSULTATION'",
    )
    op.create_index(
        "ix_appointments_schedule_id_completed_at",
        "appointments",
        ["schedule_id", "completed_at"],
        unique=False,
        postgresql_where="called_at IS NOT NULL AND completed_at IS NOT NULL",
    )
    op.add_column(
        "schedules",
        sa.Column("consult_minutes", sa.SmallInteger(), server_default="10", nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_schedules_consult_minutes_range"),
        "schedules",
        "consult_minutes BETWEEN 1 AND 240",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_schedules_consult_minutes_range"), "schedules", type_="check")
    op.drop_column("schedules", "consult_minutes")
    op.drop_index("ix_appointments_schedule_id_completed_at", table_name="appointments")
    op.drop_index("uq_appointments_one_in_consultation", table_name="appointments")
    op.drop_constraint(op.f("ck_appointments_booked_with_phone"), "appointments", type_="check")
    op.drop_constraint(
        op.f("ck_appointments_called_when_in_consultation"), "appointments", type_="check"
    )
    op.drop_column("appointments", "completed_at")
    op.drop_column("appointments", "called_at")
    op.drop_column("appointments", "is_walk_in")
    # Fails while a walk-in without a phone or an IN_CONSULTATION row exists.
    op.alter_column("appointments", "patient_phone", existing_type=sa.String(16), nullable=False)
    _status_check(_STATUSES_BEFORE)
    op.drop_table("live_sessions")
