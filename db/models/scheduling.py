"""Schedules (a doctor's weekly chambers), vacations and the schedules each vacation blocks."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Protocol

from sqlalchemy import (
    ARRAY,
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
    Time,
    true,
)
from sqlalchemy.dialects.postgresql import DATERANGE, ExcludeConstraint, Range
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, created_at_column, updated_at_column
from db.models.accounts import Account


class Schedule(Base):
    """A chamber: one weekday, some weeks of the month, a time, a place, a fee."""

    __tablename__ = "schedules"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint(
            "weeks_of_month <@ ARRAY[-1, 1, 2, 3, 4, 5]::smallint[]", name="weeks_of_month_values"
        ),
        CheckConstraint("end_time IS NULL OR end_time > start_time", name="end_after_start"),
        CheckConstraint(
            "booking_opens_days_before BETWEEN 0 AND 365", name="booking_opens_days_before_range"
        ),
        CheckConstraint(
            "booking_closes_hours_before BETWEEN 0 AND 720",
            name="booking_closes_hours_before_range",
        ),
        CheckConstraint("fee >= 0", name="fee_not_negative"),
        CheckConstraint("consult_minutes BETWEEN 1 AND 240", name="consult_minutes_range"),
        CheckConstraint("patient_limit IS NULL OR patient_limit >= 1", name="patient_limit_min"),
        CheckConstraint(
            "clinic_name IS NOT NULL OR medical_shop IS NOT NULL", name="has_clinic_or_shop"
        ),
        CheckConstraint("is_active OR deactivated_at IS NOT NULL", name="deactivation_dated"),
        # Occurrence lookups (sessions, conflicts) read a doctor's active schedules.
        Index(
            "ix_schedules_active_doctor_id_weekday",
            "doctor_id",
            "weekday",
            postgresql_where="is_active",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    doctor_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="RESTRICT"), index=True
    )
    # 0 = Monday .. 6 = Sunday, as Python's date.weekday().
    weekday: Mapped[int] = mapped_column(SmallInteger)
    # Empty means every week; otherwise n-th occurrences (1..5) and -1 for the last.
    weeks_of_month: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger), server_default="{}")
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)
    booking_opens_days_before: Mapped[int] = mapped_column(Integer, server_default="7")
    booking_closes_hours_before: Mapped[int] = mapped_column(Integer, server_default="2")
    fee: Mapped[int] = mapped_column(Integer, server_default="0")
    patient_limit: Mapped[int | None] = mapped_column(Integer)
    # The expected consultation length until the doctor's own history says otherwise.
    consult_minutes: Mapped[int] = mapped_column(SmallInteger, server_default="10")
    clinic_name: Mapped[str | None] = mapped_column(String(200))
    medical_shop: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text)
    contact_phone: Mapped[str | None] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=true())
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    doctor: Mapped[Account] = relationship(lazy="raise")


class Vacation(Base):
    """An inclusive date range in which some of a doctor's schedules do not run."""

    __tablename__ = "vacations"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="end_not_before_start"),
        Index("ix_vacations_doctor_id_start_date", "doctor_id", "start_date"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="RESTRICT"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()

    schedules: Mapped[list[Schedule]] = relationship(
        secondary="vacation_schedules", lazy="raise", viewonly=True
    )


class VacationSchedule(Base):
    """Links a vacation to a schedule it blocks; the database refuses overlapping blocks."""

    __tablename__ = "vacation_schedules"
    __table_args__ = (
        # The vacation's range is copied here so PostgreSQL itself can refuse two
        # vacations that block the same schedule on the same day (btree_gist).
        ExcludeConstraint(
            ("schedule_id", "="),
            ("period", "&&"),
            name="ex_vacation_schedules_no_overlap",
            using="gist",
        ),
    )

    vacation_id: Mapped[int] = mapped_column(
        ForeignKey("vacations.id", ondelete="CASCADE"), primary_key=True
    )
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    period: Mapped[Range[date]] = mapped_column(DATERANGE)


class ScheduleRecord(Protocol):
    """What reading a schedule needs: satisfied by a Schedule and by a row of its columns.

    Hot read paths load column tuples (no ORM identity map or instrumentation per
    row); code that only reads a schedule accepts either.
    """

    @property
    def id(self) -> int: ...
    @property
    def doctor_id(self) -> int: ...
    @property
    def weekday(self) -> int: ...
    @property
    def weeks_of_month(self) -> list[int]: ...
    @property
    def start_time(self) -> time: ...
    @property
    def end_time(self) -> time | None: ...
    @property
    def booking_opens_days_before(self) -> int: ...
    @property
    def booking_closes_hours_before(self) -> int: ...
    @property
    def fee(self) -> int: ...
    @property
    def patient_limit(self) -> int | None: ...
    @property
    def consult_minutes(self) -> int: ...
    @property
    def clinic_name(self) -> str | None: ...
    @property
    def medical_shop(self) -> str | None: ...
    @property
    def address(self) -> str: ...
    @property
    def contact_phone(self) -> str | None: ...
    @property
    def is_active(self) -> bool: ...
