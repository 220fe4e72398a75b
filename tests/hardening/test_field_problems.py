"""Every field problem carries a code a client can branch on, beside the message for people."""

from __future__ import annotations

from datetime import time

from resolvers.accounts.profiles import FormChecker
from resolvers.platform.errors import FieldError, FieldProblem, Problems, ValidationFailed
from resolvers.scheduling.schedule_fields import ScheduleFields, validate


def test_problems_keep_the_field_the_code_and_the_message() -> None:
    # given
    problems = Problems()
    # when
    problems.add("name", FieldProblem.REQUIRED, "Enter a name.")
    # then
    assert problems.result() == ValidationFailed(
        (FieldError("name", FieldProblem.REQUIRED, "Enter a name."),)
    )


def test_the_form_checker_codes_each_kind_of_problem() -> None:
    # given
    form = FormChecker(Problems(), "+91")
    # when
    form.required("name", "   ")
    form.required("city", "x" * 101)
    form.email("email", "not-an-email")
    form.phone("phone", "12")
    form.password("password", "short")
    form.time_zone("timeZone", "Mars/Olympus_Mons")
    form.url("profilePictureUrl", "ftp://example.org/me.png")
    form.otp_code("otpCode", "12ab")
    # then
    assert [(e.field, e.code) for e in form.problems.errors] == [
        ("name", FieldProblem.REQUIRED),
        ("city", FieldProblem.TOO_LONG),
        ("email", FieldProblem.INVALID_FORMAT),
        ("phone", FieldProblem.INVALID_FORMAT),
        ("password", FieldProblem.TOO_SHORT),
        ("timeZone", FieldProblem.INVALID_CHOICE),
        ("profilePictureUrl", FieldProblem.INVALID_FORMAT),
        ("otpCode", FieldProblem.INVALID_FORMAT),
    ]


def test_schedule_fields_code_ranges_conflicts_and_missing_places() -> None:
    # given
    fields = ScheduleFields(
        weeks_of_month=(),
        start_time=time(18, 0),
        end_time=time(17, 0),
        fee=-1,
        address="  ",
        booking_opens_days_before=400,
        patient_limit=0,
        contact_phone="12",
    )
    # when
    failed = validate(fields, default_country_code="+91")
    # then
    assert isinstance(failed, ValidationFailed)
    assert [(e.field, e.code) for e in failed.errors] == [
        ("endTime", FieldProblem.CONFLICT),
        ("bookingOpensDaysBefore", FieldProblem.OUT_OF_RANGE),
        ("fee", FieldProblem.OUT_OF_RANGE),
        ("patientLimit", FieldProblem.OUT_OF_RANGE),
        ("clinicName", FieldProblem.REQUIRED),
        ("address", FieldProblem.REQUIRED),
        ("contactPhone", FieldProblem.INVALID_FORMAT),
    ]
