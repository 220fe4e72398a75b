"""Initial schema: every table of the domain.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 15:08:06.563368

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create every MediMyth table, with the extensions they need."""
    # pg_trgm serves typo-tolerant doctor search; btree_gist lets an exclusion
    # constraint refuse overlapping vacations of one schedule.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(sa.schema.CreateSequence(sa.Sequence("doctor_public_number_seq")))
    op.create_table(
        "categories",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
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
        sa.CheckConstraint("length(btrim(name)) > 0", name=op.f("ck_categories_name_not_blank")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
    )
    op.create_index(
        "uq_categories_name_lower", "categories", [sa.literal_column("lower(name)")], unique=True
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    op.create_index(
        "ix_login_attempts_client_ip_created_at",
        "login_attempts",
        ["client_ip", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_login_attempts_email_created_at",
        "login_attempts",
        ["email", "created_at"],
        unique=False,
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "channel",
            sa.Enum("SMS", "EMAIL", name="channel", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "SENT",
                "FAILED",
                name="status",
                native_enum=False,
                create_constraint=True,
            ),
            server_default="PENDING",
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_notifications_attempts_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index(
        "ix_notifications_pending_next_attempt_at",
        "notifications",
        ["next_attempt_at"],
        unique=False,
        postgresql_where="status = 'PENDING'",
    )
    op.create_table(
        "otp_challenges",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "REGISTER_DOCTOR",
                "RESET_PASSWORD",
                "BOOK_APPOINTMENT",
                "MANAGE_APPOINTMENTS",
                name="purpose",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("code_hash", sa.String(length=128), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_otp_challenges_attempts_not_negative")),
        sa.CheckConstraint(
            "expires_at > created_at", name=op.f("ck_otp_challenges_expires_after_created")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_otp_challenges")),
    )
    op.create_index(
        "ix_otp_challenges_phone_created_at",
        "otp_challenges",
        ["phone", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_otp_challenges_phone_purpose_created_at",
        "otp_challenges",
        ["phone", "purpose", "created_at"],
        unique=False,
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "role",
            sa.Enum("DOCTOR", "ADMIN", name="role", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("token_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING_ACTIVATION",
                "ACTIVE",
                "SUSPENDED",
                name="status",
                native_enum=False,
                create_constraint=True,
            ),
            server_default="PENDING_ACTIVATION",
            nullable=False,
        ),
        sa.Column("public_number", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("registration_number", sa.String(length=64), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category_id", sa.BigInteger(), nullable=True),
        sa.Column("category_label", sa.String(length=100), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("referral_code", sa.String(length=32), nullable=True),
        sa.Column("profile_picture_url", sa.Text(), nullable=True),
        sa.Column("email_visible", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("phone_visible", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "registration_number_visible",
            sa.Boolean(),
            server_default=sa.text("true"),
            nullable=False,
        ),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
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
            "category_id IS NOT NULL OR category_label IS NOT NULL OR role <> 'DOCTOR'",
            name=op.f("ck_accounts_doctor_has_category"),
        ),
        sa.CheckConstraint(
            "role <> 'DOCTOR' OR (phone IS NOT NULL AND registration_number IS NOT NULL AND address IS NOT NULL AND city IS NOT NULL)",
            name=op.f("ck_accounts_doctor_has_profile"),
        ),
        sa.CheckConstraint("length(btrim(name)) > 0", name=op.f("ck_accounts_name_not_blank")),
        sa.CheckConstraint(
            "token_version >= 0", name=op.f("ck_accounts_token_version_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_accounts_category_id_categories"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("public_number", name=op.f("uq_accounts_public_number")),
        sa.UniqueConstraint("registration_number", name=op.f("uq_accounts_registration_number")),
    )
    op.create_index(
        "ix_accounts_active_doctors_name",
        "accounts",
        ["name", "id"],
        unique=False,
        postgresql_where="role = 'DOCTOR' AND status = 'ACTIVE'",
    )
    op.create_index(op.f("ix_accounts_category_id"), "accounts", ["category_id"], unique=False)
    op.create_index(
        "ix_accounts_city_lower", "accounts", [sa.literal_column("lower(city)")], unique=False
    )
    op.create_index(
        "ix_accounts_name_trgm",
        "accounts",
        ["name"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_accounts_status_created_at", "accounts", ["status", "created_at"], unique=False
    )
    op.create_index(
        "uq_accounts_email_lower", "accounts", [sa.literal_column("lower(email)")], unique=True
    )
    op.create_table(
        "schedules",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("doctor_id", sa.BigInteger(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column(
            "weeks_of_month", sa.ARRAY(sa.SmallInteger()), server_default="{}", nullable=False
        ),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=True),
        sa.Column("booking_opens_days_before", sa.Integer(), server_default="7", nullable=False),
        sa.Column("booking_closes_hours_before", sa.Integer(), server_default="2", nullable=False),
        sa.Column("fee", sa.Integer(), server_default="0", nullable=False),
        sa.Column("patient_limit", sa.Integer(), nullable=True),
        sa.Column("clinic_name", sa.String(length=200), nullable=True),
        sa.Column("medical_shop", sa.String(length=200), nullable=True),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("contact_phone", sa.String(length=16), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
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
            "booking_closes_hours_before BETWEEN 0 AND 720",
            name=op.f("ck_schedules_booking_closes_hours_before_range"),
        ),
        sa.CheckConstraint(
            "booking_opens_days_before BETWEEN 0 AND 365",
            name=op.f("ck_schedules_booking_opens_days_before_range"),
        ),
        sa.CheckConstraint(
            "clinic_name IS NOT NULL OR medical_shop IS NOT NULL",
            name=op.f("ck_schedules_has_clinic_or_shop"),
        ),
        sa.CheckConstraint(
            "end_time IS NULL OR end_time > start_time", name=op.f("ck_schedules_end_after_start")
        ),
        sa.CheckConstraint("fee >= 0", name=op.f("ck_schedules_fee_not_negative")),
        sa.CheckConstraint(
            "is_active OR deactivated_at IS NOT NULL", name=op.f("ck_schedules_deactivation_dated")
        ),
        sa.CheckConstraint(
            "patient_limit IS NULL OR patient_limit >= 1",
            name=op.f("ck_schedules_patient_limit_min"),
        ),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_schedules_weekday_range")),
        sa.CheckConstraint(
            "weeks_of_month <@ ARRAY[-1, 1, 2, 3, 4, 5]::smallint[]",
            name=op.f("ck_schedules_weeks_of_month_values"),
        ),
        sa.ForeignKeyConstraint(
            ["doctor_id"],
            ["accounts.id"],
            name=op.f("fk_schedules_doctor_id_accounts"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
    )
    op.create_index(
        "ix_schedules_active_doctor_id_weekday",
        "schedules",
        ["doctor_id", "weekday"],
        unique=False,
        postgresql_where="is_active",
    )
    op.create_index(op.f("ix_schedules_doctor_id"), "schedules", ["doctor_id"], unique=False)
    op.create_table(
        "vacations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("doctor_id", sa.BigInteger(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "end_date >= start_date", name=op.f("ck_vacations_end_not_before_start")
        ),
        sa.ForeignKeyConstraint(
            ["doctor_id"],
            ["accounts.id"],
            name=op.f("fk_vacations_doctor_id_accounts"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vacations")),
    )
    op.create_index(
        "ix_vacations_doctor_id_start_date", "vacations", ["doctor_id", "start_date"], unique=False
    )
    op.create_table(
        "appointments",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("schedule_id", sa.BigInteger(), nullable=False),
        sa.Column("session_date", sa.Date(), nullable=False),
        sa.Column("queue_number", sa.Integer(), nullable=False),
        sa.Column("patient_name", sa.String(length=200), nullable=False),
        sa.Column("patient_age", sa.SmallInteger(), nullable=False),
        sa.Column("patient_phone", sa.String(length=16), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "BOOKED",
                "CANCELLED_BY_PATIENT",
                "CANCELLED_BY_DOCTOR",
                "ARRIVED",
                "NO_SHOW",
                "COMPLETED",
                name="status",
                native_enum=False,
                create_constraint=True,
            ),
            server_default="BOOKED",
            nullable=False,
        ),
        sa.Column("manage_token_hash", sa.String(length=128), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("idempotency_fingerprint", sa.String(length=128), nullable=True),
        sa.Column("cancellation_reason", sa.Text(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
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
            "(status IN ('CANCELLED_BY_PATIENT', 'CANCELLED_BY_DOCTOR')) = (cancelled_at IS NOT NULL)",
            name=op.f("ck_appointments_cancelled_at_iff_cancelled"),
        ),
        sa.CheckConstraint(
            "length(btrim(patient_name)) > 0", name=op.f("ck_appointments_patient_name_not_blank")
        ),
        sa.CheckConstraint(
            "patient_age BETWEEN 0 AND 130", name=op.f("ck_appointments_patient_age_range")
        ),
        sa.CheckConstraint("queue_number >= 1", name=op.f("ck_appointments_queue_number_positive")),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_appointments_schedule_id_schedules"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
        sa.UniqueConstraint(
            "schedule_id",
            "session_date",
            "queue_number",
            name=op.f("uq_appointments_schedule_id_session_date_queue_number"),
        ),
    )
    op.create_index(
        "ix_appointments_patient_phone", "appointments", ["patient_phone"], unique=False
    )
    op.create_index(
        "uq_appointments_idempotency_key",
        "appointments",
        ["idempotency_key"],
        unique=True,
        postgresql_where="idempotency_key IS NOT NULL",
    )
    op.create_index(
        "uq_appointments_one_booking_per_patient",
        "appointments",
        [
            "schedule_id",
            "session_date",
            "patient_phone",
            sa.literal_column("lower(btrim(patient_name))"),
        ],
        unique=True,
        postgresql_where="status = 'BOOKED'",
    )
    op.create_table(
        "session_seats",
        sa.Column("schedule_id", sa.BigInteger(), nullable=False),
        sa.Column("session_date", sa.Date(), nullable=False),
        sa.Column("booked_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_queue_number", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "booked_count <= last_queue_number", name=op.f("ck_session_seats_booked_within_issued")
        ),
        sa.CheckConstraint(
            "booked_count >= 0", name=op.f("ck_session_seats_booked_count_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_session_seats_schedule_id_schedules"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("schedule_id", "session_date", name=op.f("pk_session_seats")),
    )
    op.create_table(
        "vacation_schedules",
        sa.Column("vacation_id", sa.BigInteger(), nullable=False),
        sa.Column("schedule_id", sa.BigInteger(), nullable=False),
        sa.Column("period", postgresql.DATERANGE(), nullable=False),
        postgresql.ExcludeConstraint(
            (sa.column("schedule_id"), "="),
            (sa.column("period"), "&&"),
            using="gist",
            name="ex_vacation_schedules_no_overlap",
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_vacation_schedules_schedule_id_schedules"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["vacation_id"],
            ["vacations.id"],
            name=op.f("fk_vacation_schedules_vacation_id_vacations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("vacation_id", "schedule_id", name=op.f("pk_vacation_schedules")),
    )
    op.create_index(
        op.f("ix_vacation_schedules_schedule_id"),
        "vacation_schedules",
        ["schedule_id"],
        unique=False,
    )


def downgrade() -> None:
    """Drop every MediMyth table (the extensions stay: other schemas may use them)."""
    op.drop_index(op.f("ix_vacation_schedules_schedule_id"), table_name="vacation_schedules")
    op.drop_table("vacation_schedules")
    op.drop_table("session_seats")
    op.drop_index(
        "uq_appointments_one_booking_per_patient",
        table_name="appointments",
        postgresql_where="status = 'BOOKED'",
    )
    op.drop_index(
        "uq_appointments_idempotency_key",
        table_name="appointments",
        postgresql_where="idempotency_key IS NOT NULL",
    )
    op.drop_index("ix_appointments_patient_phone", table_name="appointments")
    op.drop_table("appointments")
    op.drop_index("ix_vacations_doctor_id_start_date", table_name="vacations")
    op.drop_table("vacations")
    op.drop_index(op.f("ix_schedules_doctor_id"), table_name="schedules")
    op.drop_index(
        "ix_schedules_active_doctor_id_weekday",
        table_name="schedules",
        postgresql_where="is_active",
    )
    op.drop_table("schedules")
    op.drop_index("uq_accounts_email_lower", table_name="accounts")
    op.drop_index("ix_accounts_status_created_at", table_name="accounts")
    op.drop_index(
        "ix_accounts_name_trgm",
        table_name="accounts",
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.drop_index("ix_accounts_city_lower", table_name="accounts")
    op.drop_index(op.f("ix_accounts_category_id"), table_name="accounts")
    op.drop_index(
        "ix_accounts_active_doctors_name",
        table_name="accounts",
        postgresql_where="role = 'DOCTOR' AND status = 'ACTIVE'",
    )
    op.drop_table("accounts")
    op.drop_index("ix_otp_challenges_phone_purpose_created_at", table_name="otp_challenges")
    op.drop_index("ix_otp_challenges_phone_created_at", table_name="otp_challenges")
    op.drop_table("otp_challenges")
    op.drop_index(
        "ix_notifications_pending_next_attempt_at",
        table_name="notifications",
        postgresql_where="status = 'PENDING'",
    )
    op.drop_table("notifications")
    op.drop_index("ix_login_attempts_email_created_at", table_name="login_attempts")
    op.drop_index("ix_login_attempts_client_ip_created_at", table_name="login_attempts")
    op.drop_table("login_attempts")
    op.drop_index("uq_categories_name_lower", table_name="categories")
    op.drop_table("categories")
    op.execute(sa.schema.DropSequence(sa.Sequence("doctor_public_number_seq")))
