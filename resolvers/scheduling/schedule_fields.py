"""A schedule's editable fields: validation, partial updates, and copying onto the row."""

from __future__ import annotations

from dataclasses import dataclass, replace
from dataclasses import fields as dataclass_fields
from datetime import time
from enum import Enum

from db.enums import WEEK_VALUES
from db.models import Schedule
from resolvers.platform.calendar import OFFSET_REFUSED, week_order, window_is_possible
from resolvers.platform.errors import FieldProblem, Problems, ValidationFailed
from resolvers.platform.phones import normalize_phone
from resolvers.platform.text import clean_text

MAX_TEXT = 200
# The address reaches every patient's SMS about the session (capped there again).
MAX_ADDRESS = 500
# A consultation's expected length in minutes (the column's check says the same).
MIN_CONSULT, MAX_CONSULT = 1, 240


@dataclass(frozen=True, slots=True)
class ScheduleFields:
    """Everything about a schedule but its weekday, as the doctor typed it."""

    weeks_of_month: tuple[int, ...]
    start_time: time
    end_time: time | None
    fee: int
    address: str
    booking_opens_days_before: int = 7
    booking_closes_hours_before: int = 2
    patient_limit: int | None = None
    consult_minutes: int = 10
    clinic_name: str | None = None
    medical_shop: str | None = None
    contact_phone: str | None = None


class Keep(Enum):
    """An update leaves a field as it is."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True, slots=True)
class SchedulePatch:
    """The fields an update changes; KEEP leaves one as it is."""

    weeks_of_month: tuple[int, ...] | Keep = KEEP
    start_time: time | Keep = KEEP
    end_time: time | Keep | None = KEEP
    fee: int | Keep = KEEP
    address: str | Keep = KEEP
    booking_opens_days_before: int | Keep = KEEP
    booking_closes_hours_before: int | Keep = KEEP
    patient_limit: int | Keep | None = KEEP
    consult_minutes: int | Keep = KEEP
    clinic_name: str | Keep | None = KEEP
    medical_shop: str | Keep | None = KEEP
    contact_phone: str | Keep | None = KEEP

    def applied_to(self, current: ScheduleFields) -> ScheduleFields:
        changes = {
            field.name: getattr(self, field.name)
            for field in dataclass_fields(self)
            if getattr(self, field.name) is not KEEP
        }
        return replace(current, **changes)


def validate(
    fields: ScheduleFields, *, default_country_code: str
) -> ScheduleFields | ValidationFailed:
    """The fields trimmed and normalised, or every problem with them."""
    problems = Problems()
    if any(week not in WEEK_VALUES for week in fields.weeks_of_month):
        problems.add("weeksOfMonth", FieldProblem.INVALID_CHOICE, "Weeks are FIRST..FIFTH or LAST.")
    # A time with an offset (the Time scalar parses "18:00+05:30" into one) means nothing
    # for a weekly session on the doctor's wall clock, and cannot be compared with one.
    with_offset = [
        name
        for name, value in (("startTime", fields.start_time), ("endTime", fields.end_time))
        if value is not None and value.tzinfo is not None
    ]
    for name in with_offset:
        problems.add(name, FieldProblem.INVALID_FORMAT, OFFSET_REFUSED)
    if not with_offset and fields.end_time is not None and fields.end_time <= fields.start_time:
        problems.add(
            "endTime",
            FieldProblem.CONFLICT,
            "The session must end after it starts (on the same day).",
        )
    if not 0 <= fields.booking_opens_days_before <= 365:
        problems.add(
            "bookingOpensDaysBefore", FieldProblem.OUT_OF_RANGE, "Must be between 0 and 365 days."
        )
    if not 0 <= fields.booking_closes_hours_before <= 720:
        problems.add(
            "bookingClosesHoursBefore",
            FieldProblem.OUT_OF_RANGE,
            "Must be between 0 and 720 hours.",
        )
    elif not window_is_possible(
        start=fields.start_time,
        opens_days_before=fields.booking_opens_days_before,
        closes_hours_before=fields.booking_closes_hours_before,
    ):
        problems.add(
            "bookingClosesHoursBefore",
            FieldProblem.CONFLICT,
            "Booking would close before it opens.",
        )
    if fields.fee < 0:
        problems.add("fee", FieldProblem.OUT_OF_RANGE, "The fee cannot be negative.")
    if fields.patient_limit is not None and fields.patient_limit < 1:
        problems.add(
            "patientLimit",
            FieldProblem.OUT_OF_RANGE,
            "Allow at least one patient, or leave it empty for no limit.",
        )
    if not MIN_CONSULT <= fields.consult_minutes <= MAX_CONSULT:
        problems.add(
            "consultMinutes",
            FieldProblem.OUT_OF_RANGE,
            f"Between {MIN_CONSULT} and {MAX_CONSULT} minutes.",
        )
    clinic, shop, address = (
        clean_text(fields.clinic_name),
        clean_text(fields.medical_shop),
        clean_text(fields.address),
    )
    if clinic is None and shop is None:
        problems.add(
            "clinicName", FieldProblem.REQUIRED, "Give a clinic name, a medical shop, or both."
        )
    for name, value in (("clinicName", clinic), ("medicalShop", shop)):
        if value is not None and len(value) > MAX_TEXT:
            problems.add(name, FieldProblem.TOO_LONG, f"At most {MAX_TEXT} characters.")
    if address is None:
        problems.add("address", FieldProblem.REQUIRED, "The address is required.")
    elif len(address) > MAX_ADDRESS:
        problems.add("address", FieldProblem.TOO_LONG, f"At most {MAX_ADDRESS} characters.")
    phone = None
    if clean_text(fields.contact_phone) is not None:
        phone = normalize_phone(
            fields.contact_phone or "", default_country_code=default_country_code
        )
        if phone is None:
            problems.add(
                "contactPhone", FieldProblem.INVALID_FORMAT, "This is not a valid phone number."
            )
    failed = problems.result()
    if failed is not None:
        return failed
    return replace(
        fields,
        weeks_of_month=tuple(sorted(set(fields.weeks_of_month), key=week_order)),
        clinic_name=clinic,
        medical_shop=shop,
        address=address or "",
        contact_phone=phone,
    )


def fields_of(schedule: Schedule) -> ScheduleFields:
    return ScheduleFields(
        weeks_of_month=tuple(schedule.weeks_of_month),
        start_time=schedule.start_time,
        end_time=schedule.end_time,
        fee=schedule.fee,
        address=schedule.address,
        booking_opens_days_before=schedule.booking_opens_days_before,
        booking_closes_hours_before=schedule.booking_closes_hours_before,
        patient_limit=schedule.patient_limit,
        consult_minutes=schedule.consult_minutes,
        clinic_name=schedule.clinic_name,
        medical_shop=schedule.medical_shop,
        contact_phone=schedule.contact_phone,
    )


def time_or_place(fields: ScheduleFields) -> tuple[object, ...]:
    return (
        fields.start_time,
        fields.end_time,
        fields.clinic_name,
        fields.medical_shop,
        fields.address,
    )


def apply(schedule: Schedule, fields: ScheduleFields) -> None:
    schedule.weeks_of_month = list(fields.weeks_of_month)
    schedule.start_time = fields.start_time
    schedule.end_time = fields.end_time
    schedule.booking_opens_days_before = fields.booking_opens_days_before
    schedule.booking_closes_hours_before = fields.booking_closes_hours_before
    schedule.fee = fields.fee
    schedule.patient_limit = fields.patient_limit
    schedule.consult_minutes = fields.consult_minutes
    schedule.clinic_name = fields.clinic_name
    schedule.medical_shop = fields.medical_shop
    schedule.address = fields.address
    schedule.contact_phone = fields.contact_phone
