"""The audit trail records webhook endpoint changes: three actions, one target kind.

Revision ID: 0012
Revises: 0005
Create Date: 2026-12-03 10:20:00.000000

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = (
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
_ACTIONS = (
    *_BEFORE,
    "WEBHOOK_ENDPOINT_CREATED",
    "WEBHOOK_SECRET_ROTATED",
    "WEBHOOK_ENDPOINT_DELETED",
)
_TARGETS_BEFORE = ("ACCOUNT", "CATEGORY", "APPOINTMENT", "SCHEDULE", "VACATION")
_TARGETS = (*_TARGETS_BEFORE, "WEBHOOK")


def _check(column: str, values: Sequence[str]) -> None:
    # Replacing a CHECK is DDL: the append-only trigger (UPDATE, DELETE, TRUNCATE) is not asked.
    op.drop_constraint(op.f(f"ck_audit_events_{column}"), "audit_events", type_="check")
    listed = ", ".join(f"'{value}'" for value in values)
    op.create_check_constraint(
        op.f(f"ck_audit_events_{column}"), "audit_events", f"{column} IN ({listed})"
    )


def upgrade() -> None:
    _check("action", _ACTIONS)
    _check("target_kind", _TARGETS)


def downgrade() -> None:
    # Fails while a row holds a webhook action: the trail cannot be rewritten to fit.
    _check("action", _BEFORE)
    _check("target_kind", _TARGETS_BEFORE)
