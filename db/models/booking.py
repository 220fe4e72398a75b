"""Appointments and the per-session seat counter that makes booking race-free."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, created_at_column, updated_at_column
from db.enums import AppointmentStatus, LiveState
from db.models._types import checked_enum
from db.models.scheduling import Schedule


class SessionSeats(Base):
    """One row per booked session occurrence: the lock point for capacity and queue numbers.

    A booking takes a seat with a single upsert on this row, so concurrent
    bookings serialise on it (also through a transaction pooler) and queue
    numbers are handed out without gaps or repeats.
    """

    __tablename__ = "session_seats"
    __table_args__ = (
        CheckConstraint("booked_count >= 0", name="booked_count_not_negative"),
        CheckConstraint("booked_count <= last_queue_number", name="booked_within_issued"),
    )

    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.id", ondelete="RESTRICT"), primary_key=True
    )
    session_date: Mapped[date] = mapped_column(Date, primary_key=True)
    booked_count: Mapped[int] = mapped_column(Integer, server_default="0")
    last_queue_number: Mapped[int] = mapped_column(Integer, server_default="0")


class Appointment(Base):
    """One patient's place in one session occurrence."""

    __tablename__ = "appointments"
    __table_args__ = (
        UniqueConstraint("schedule_id", "session_date", "queue_number"),
        # A patient (phone + normalised name) holds at most one live booking per session.
        Index(
            "uq_appointments_one_booking_per_patient",
            "schedule_id",
            "session_date",
            "patient_phone",
            text("lower(btrim(patient_name))"),
            unique=True,
            postgresql_where="status = 'BOOKED'",
        ),
        Index(
            "uq_appointments_idempotency_key",
            "idempotency_key",
            unique=True,
            postgresql_where="idempotency_key IS NOT NULL",
        ),
        Index("ix_appointments_patient_phone", "patient_phone"),
        # The database itself refuses a second patient in consultation (callNext races).
        Index(
            "uq_appointments_one_in_consultation",
            "schedule_id",
            "session_date",
            unique=True,
            postgresql_where="status = 'IN_CONSULTATION'",
        ),
        # The doctor's recent consultations, for the learned average.
        Index(
            "ix_appointments_schedule_id_completed_at",
            "schedule_id",
            "completed_at",
            postgresql_where="called_at IS NOT NULL AND completed_at IS NOT NULL",
        ),
        # The reminder scan reads BOOKED appointments whose reminder is not yet queued, of
        # the day or two it can be due for: a queued reminder leaves the index (and a
        # walk-in without a phone never enters it).
        Index(
            "ix_appointments_reminder_pending_session_date",
            "session_date",
            postgresql_where=(
                "status = 'BOOKED' AND reminder_queued_at IS NULL AND patient_phone IS NOT NULL"
            ),
        ),
        CheckConstraint("queue_number >= 1", name="queue_number_positive"),
        CheckConstraint("patient_age BETWEEN 0 AND 130", name="patient_age_range"),
        CheckConstraint("length(btrim(patient_name)) > 0", name="patient_name_not_blank"),
        CheckConstraint(
            "(status IN ('CANCELLED_BY_PATIENT', 'CANCELLED_BY_DOCTOR'))"
            " = (cancelled_at IS NOT NULL)",
            name="cancelled_at_iff_cancelled",
        ),
        CheckConstraint(
            "status <> 'IN_CONSULTATION' OR called_at IS NOT NULL",
            name="called_when_in_consultation",
        ),
        # Only a walk-in may come without a phone: a booking was proved by an SMS code.
        CheckConstraint("is_walk_in OR patient_phone IS NOT NULL", name="booked_with_phone"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="RESTRICT"))
    session_date: Mapped[date] = mapped_column(Date)
    queue_number: Mapped[int] = mapped_column(Integer)
    patient_name: Mapped[str] = mapped_column(String(200))
    patient_age: Mapped[int] = mapped_column(SmallInteger)
    patient_phone: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[AppointmentStatus] = mapped_column(
        checked_enum(AppointmentStatus, "status"), server_default=AppointmentStatus.BOOKED.value
    )
    manage_token_hash: Mapped[str] = mapped_column(String(128))
    # The token is an HMAC of the server secret over the id and this random salt, so an
    # idempotent retry can show it again while only its hash is kept.
    manage_token_salt: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    # What the first request with this key asked for, so a reused key with another
    # request can be told apart from a retry.
    idempotency_fingerprint: Mapped[str | None] = mapped_column(String(128))
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    is_walk_in: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # IN_CONSULTATION from called_at, COMPLETED at completed_at: the consultation's length.
    called_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the outbox worker queued its evening-before reminder (resolvers/messaging/reminders.py).
    reminder_queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    schedule: Mapped[Schedule] = relationship(lazy="raise")

    @property
    def public_id(self) -> str:
        return f"MMA-{self.id}"


class LiveSession(Base):
    """A session occurrence's live state on its day; the lock point of the doctor's queue.

    Made on first use (INSERT ... ON CONFLICT), so every live mutation of a session
    locks this one row and the doctor's actions on a session run one at a time.
    """

    __tablename__ = "live_sessions"
    __table_args__ = (
        CheckConstraint("delay_minutes BETWEEN 0 AND 720", name="delay_minutes_range"),
        CheckConstraint(
            "state = 'NOT_STARTED' OR started_at IS NOT NULL", name="started_when_begun"
        ),
        CheckConstraint("(state = 'ENDED') = (ended_at IS NOT NULL)", name="ended_at_iff_ended"),
        CheckConstraint("now_serving IS NULL OR now_serving >= 1", name="now_serving_positive"),
    )

    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.id", ondelete="RESTRICT"), primary_key=True
    )
    session_date: Mapped[date] = mapped_column(Date, primary_key=True)
    state: Mapped[LiveState] = mapped_column(
        checked_enum(LiveState, "state"), server_default=LiveState.NOT_STARTED.value
    )
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delay_minutes: Mapped[int] = mapped_column(Integer, server_default="0")
    notice: Mapped[str | None] = mapped_column(String(280))
    now_serving: Mapped[int | None] = mapped_column(Integer)
    # Set by each action to its own clock's now (no ORM onupdate: one clock for the board).
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
