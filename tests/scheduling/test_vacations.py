"""Vacations: the dry run of who is hit, saving (with or without cancelling), overlaps, removal."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus, DoctorStatus
from db.models import Appointment, Vacation
from db.session import Database
from resolvers.platform.audit import Actor
from resolvers.platform.clock import FixedClock
from resolvers.scheduling.vacations import VacationOverlap, VacationRequest, create_vacation
from settings import Settings
from tests.conftest import GraphQLClient
from tests.factories import make_appointment, make_doctor, make_schedule, make_vacation
from tests.operations import example_variables, operation
from tests.scheduling_support import signed_in_doctor, sms_to

IMPACT = operation("VacationImpact")
CREATE = operation("CreateVacation")
DELETE = operation("DeleteVacation")
MY_ACCOUNT = operation("MyAccount")
THURSDAY, SUNDAY = 3, 6
DEC_24, DEC_27 = date(2026, 12, 24), date(2026, 12, 27)


def vacation(**changes: Any) -> dict[str, Any]:
    return {"input": {**example_variables("CreateVacation")["input"], **changes}}


async def test_the_dry_run_lists_the_bookings_a_vacation_would_hit(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given bookings inside and outside 20-27 December, on two schedules
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    thursday = await make_schedule(session, doctor, weekday=THURSDAY)
    sunday = await make_schedule(session, doctor, weekday=SUNDAY)
    hit = await make_appointment(session, thursday, DEC_24, patient_name="Rina Das")
    also_hit = await make_appointment(session, sunday, DEC_27)
    await make_appointment(session, thursday, date(2026, 12, 17))
    await session.commit()
    variables = example_variables("VacationImpact")
    variables["input"]["scheduleIds"] = [str(thursday.id), str(sunday.id)]
    # when
    body = await gql(IMPACT, variables, token=token)
    # then
    assert body["data"]["vacationImpact"] == [
        {
            "publicId": hit.public_id,
            "patientName": "Rina Das",
            "patientPhone": hit.patient_phone,
            "session": {"date": "2026-12-24", "startsAt": "2026-12-24T18:00:00+05:30"},
        },
        {
            "publicId": also_hit.public_id,
            "patientName": also_hit.patient_name,
            "patientPhone": also_hit.patient_phone,
            "session": {"date": "2026-12-27", "startsAt": "2026-12-27T18:00:00+05:30"},
        },
    ]
    statuses = set((await session.scalars(select(Appointment.status))).all())
    assert statuses == {AppointmentStatus.BOOKED}


async def test_the_dry_run_never_shows_another_doctors_patients(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    other = await make_schedule(session, await make_doctor(session), weekday=THURSDAY)
    await make_appointment(session, other, DEC_24)
    _, token = await signed_in_doctor(session, settings=settings, clock=clock)
    variables = example_variables("VacationImpact")
    variables["input"]["scheduleIds"] = [str(other.id)]
    # when
    body = await gql(IMPACT, variables, token=token)
    # then
    assert body["data"]["vacationImpact"] == []


async def test_saving_with_cancel_affected_cancels_and_texts_each_patient(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    thursday = await make_schedule(session, doctor, weekday=THURSDAY)
    sunday = await make_schedule(session, doctor, weekday=SUNDAY)
    hit = await make_appointment(session, thursday, DEC_24)
    kept = await make_appointment(session, thursday, date(2026, 12, 31))
    await session.commit()
    # when the frontend's example (all schedules, 20-27 December) is saved
    body = await gql(CREATE, example_variables("CreateVacation"), token=token)
    # then
    result = body["data"]["createVacation"]
    assert result["__typename"] == "VacationSaved"
    assert result["cancelledAppointments"] == 1
    assert result["vacation"]["start"] == "2026-12-20"
    assert result["vacation"]["end"] == "2026-12-27"
    assert result["vacation"]["reason"] == "holiday"
    assert result["vacation"]["schedules"] == [{"id": str(thursday.id)}, {"id": str(sunday.id)}]
    statuses = {
        row.id: row.status
        for row in await session.execute(select(Appointment.id, Appointment.status))
    }
    assert statuses == {
        hit.id: AppointmentStatus.CANCELLED_BY_DOCTOR,
        kept.id: AppointmentStatus.BOOKED,
    }
    [sms] = await sms_to(session, hit.patient_phone)
    assert "vacation" in sms


async def test_saving_without_cancelling_keeps_the_bookings_but_blocks_new_ones(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    thursday = await make_schedule(session, doctor, weekday=THURSDAY)
    await make_appointment(session, thursday, DEC_24)
    await session.commit()
    # when
    body = await gql(
        CREATE, vacation(cancelAffected=False, start="2026-12-24", end="2026-12-24"), token=token
    )
    page = await gql(
        operation("DoctorPage"),
        {"publicId": doctor.public_id, "from": "2026-12-24", "to": "2026-12-24"},
    )
    # then a single day is a valid vacation
    assert body["data"]["createVacation"]["cancelledAppointments"] == 0
    [session_row] = page["data"]["doctor"]["sessions"]
    assert session_row["status"] == "ON_VACATION"
    assert session_row["bookedCount"] == 1


async def test_an_overlapping_vacation_of_the_same_schedules_is_refused(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a vacation on 27-31 December for the Thursday schedule
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    thursday = await make_schedule(session, doctor, weekday=THURSDAY)
    sunday = await make_schedule(session, doctor, weekday=SUNDAY)
    existing = await make_vacation(
        session, doctor, DEC_27, date(2026, 12, 31), schedules=[thursday]
    )
    await session.commit()
    # when
    clash = await gql(CREATE, vacation(scheduleIds=None), token=token)
    other_schedule = await gql(CREATE, vacation(scheduleIds=[str(sunday.id)]), token=token)
    # then the shared last day is enough to refuse; another schedule is free
    assert clash["data"]["createVacation"]["__typename"] == "VacationOverlap"
    assert clash["data"]["createVacation"]["existing"] == [
        {"id": str(existing.id), "start": "2026-12-27", "end": "2026-12-31"}
    ]
    assert other_schedule["data"]["createVacation"]["__typename"] == "VacationSaved"


async def test_the_database_refuses_an_overlap_saved_during_the_check(
    session: AsyncSession, database: Database, clock: FixedClock
) -> None:
    # given another request has saved (not yet committed) a vacation on 24 December
    doctor = await make_doctor(session)
    thursday = await make_schedule(session, doctor, weekday=THURSDAY)
    await session.commit()
    async with database.session() as first, database.session() as second:
        await make_vacation(first, doctor, DEC_24, DEC_24, schedules=[thursday])
        # when ours checks (seeing nothing yet), inserts and waits on the constraint
        ours = asyncio.create_task(
            create_vacation(
                session=second,
                doctor=doctor,
                request=VacationRequest(start=DEC_24, end=DEC_27),
                actor=Actor.system().as_account(doctor),
                now=clock.now(),
            )
        )
        await asyncio.sleep(0.3)
        await first.commit()
        result = await ours
    # then
    assert isinstance(result, VacationOverlap)
    assert [(v.start_date, v.end_date) for v in result.existing] == [(DEC_24, DEC_24)]
    assert await session.scalar(select(func.count()).select_from(Vacation)) == 1


async def test_another_doctors_schedule_is_not_found_and_inactive_doctors_are_refused(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    other = await make_schedule(session, await make_doctor(session))
    _, token = await signed_in_doctor(session, settings=settings, clock=clock)
    _, pending_token = await signed_in_doctor(
        session, settings=settings, clock=clock, status=DoctorStatus.PENDING_ACTIVATION
    )
    # when
    foreign = await gql(CREATE, vacation(scheduleIds=[str(other.id)]), token=token)
    pending = await gql(CREATE, vacation(), token=pending_token)
    # then
    assert foreign["data"]["createVacation"]["__typename"] == "NotFound"
    assert pending["data"]["createVacation"]["__typename"] == "NotAllowed"


async def test_invalid_ranges_are_refused(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    await make_schedule(session, doctor)
    await session.commit()
    # when
    backwards = await gql(CREATE, vacation(start="2026-12-27", end="2026-12-20"), token=token)
    none_chosen = await gql(CREATE, vacation(scheduleIds=[]), token=token)
    # then
    assert backwards["data"]["createVacation"]["errors"][0]["field"] == "end"
    assert none_chosen["data"]["createVacation"]["errors"][0]["field"] == "scheduleIds"


async def test_a_vacation_is_listed_on_the_account_and_can_be_removed(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    schedule = await make_schedule(session, doctor, clinic_name="Rao Clinic")
    await make_vacation(session, doctor, date(2026, 11, 1), date(2026, 11, 2), schedules=[schedule])
    upcoming = await make_vacation(session, doctor, DEC_24, DEC_27, schedules=[schedule])
    await session.commit()
    # when
    before = await gql(MY_ACCOUNT, token=token)
    removed = await gql(DELETE, {"id": str(upcoming.id)}, token=token)
    again = await gql(DELETE, {"id": str(upcoming.id)}, token=token)
    after = await gql(MY_ACCOUNT, token=token)
    # then past vacations are not listed
    assert before["data"]["me"]["vacations"] == [
        {
            "id": str(upcoming.id),
            "start": "2026-12-24",
            "end": "2026-12-27",
            "reason": "Holiday",
            "schedules": [
                {"id": str(schedule.id), "clinicName": "Rao Clinic", "address": "12 Park Street"}
            ],
        }
    ]
    assert removed["data"]["deleteVacation"] == {
        "__typename": "VacationDeleted",
        "id": str(upcoming.id),
    }
    assert again["data"]["deleteVacation"]["__typename"] == "NotFound"
    assert after["data"]["me"]["vacations"] == []


async def test_another_doctors_vacation_cannot_be_removed(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    other = await make_doctor(session)
    theirs = await make_vacation(
        session, other, DEC_24, DEC_27, schedules=[await make_schedule(session, other)]
    )
    _, token = await signed_in_doctor(session, settings=settings, clock=clock)
    # when
    body = await gql(DELETE, {"id": str(theirs.id)}, token=token)
    # then
    assert body["data"]["deleteVacation"]["__typename"] == "NotFound"
    assert await session.scalar(select(func.count()).select_from(Vacation)) == 1
