"""Waitlist entries: patients waiting for a seat in a full session, in the order they joined."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Identity,
    Index,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, created_at_column, updated_at_column
from db.enums import WaitlistStatus
from db.models._types import checked_enum

PUBLIC_ID_PREFIX = "MMW-"


class WaitlistEntry(Base):
    """One patient waiting for a seat in one session occurrence; the id is the place in line.

    The manage token is kept like an appointment's: a random salt and the token's SHA-256.
    Once promoted, ``appointment_id`` names the booking the entry became.
    """

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        # A patient (phone + normalised name) waits at most once per session.
        Index(
            "uq_waitlist_entries_one_wait_per_patient",
            "schedule_id",
            "session_date",
            "patient_phone",
            text("lower(btrim(patient_name))"),
            unique=True,
            postgresql_where="status = 'WAITING'",
        ),
        # The line of one session, first come first: what promotion and positions read.
        Index(
            "ix_waitlist_entries_waiting_line",
            "schedule_id",
            "session_date",
            "id",
            postgresql_where="status = 'WAITING'",
        ),
        Index("ix_waitlist_entries_patient_phone", "patient_phone"),
        CheckConstraint("patient_age BETWEEN 0 AND 130", name="patient_age_range"),
        CheckConstraint("length(btrim(patient_name)) > 0", name="patient_name_not_blank"),
        CheckConstraint(
            "(status = 'PROMOTED') = (appointment_id IS NOT NULL)",
            name="appointment_iff_promoted",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="RESTRICT"))
    session_date: Mapped[date] = mapped_column(Date)
    patient_name: Mapped[str] = mapped_column(String(200))
    patient_age: Mapped[int] = mapped_column(SmallInteger)
    patient_phone: Mapped[str] = mapped_column(String(16))
    status: Mapped[WaitlistStatus] = mapped_column(
        checked_enum(WaitlistStatus, "status"), server_default=WaitlistStatus.WAITING.value
    )
    manage_token_hash: Mapped[str] = mapped_column(String(128))
    manage_token_salt: Mapped[str] = mapped_column(String(64))
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="RESTRICT"), unique=True
    )
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    @property
    def public_id(self) -> str:
        return f"{PUBLIC_ID_PREFIX}{self.id}"
