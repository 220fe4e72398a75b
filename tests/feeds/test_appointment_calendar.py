"""A patient's .ics of their booking: a signed link, nothing stored, no phone in it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app import create_app
from db.enums import AppointmentStatus
from db.session import Database
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests import factories
from tests.conftest import GraphQLClient
from tests.feeds.support import events_of, integration_operation

MY_APPOINTMENT_CALENDAR = integration_operation("MyAppointmentCalendar")
SESSION_OF = """
query SessionOf($publicId: String!, $manageToken: String!) {
  myAppointment(publicId: $publicId, manageToken: $manageToken) {
    session { startsAt endsAt }
  }
}
"""
MANAGE_TOKEN = "test-manage-token"
THURSDAY = date(2026, 12, 3)


async def calendar_url(gql: GraphQLClient, public_id: str) -> str:
    body = await gql(MY_APPOINTMENT_CALENDAR, {"publicId": public_id, "manageToken": MANAGE_TOKEN})
    answer = body["data"]["myAppointment"]
    assert answer["publicId"] == public_id
    url: str = answer["calendarUrl"]
    return url


async def test_the_patients_ics_is_their_session_without_their_phone(
    gql: GraphQLClient, client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock
) -> None:
    # given a booking
    doctor = await factories.make_doctor(session, name="Dr. Asha Rao")
    schedule = await factories.make_schedule(session, doctor, weekday=3)
    booked = await factories.make_appointment(
        session, schedule, THURSDAY, manage_token=MANAGE_TOKEN
    )
    await session.commit()
    url = await calendar_url(gql, booked.public_id)
    reported = (await gql(SESSION_OF, {"publicId": booked.public_id, "manageToken": MANAGE_TOKEN}))[
        "data"
    ]["myAppointment"]["session"]
    # when the patient's phone opens the link
    response = await client.get(url)
    # then it downloads one event: the session the API reports, in the doctor's zone
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert (
        response.headers["content-disposition"] == f'attachment; filename="{booked.public_id}.ics"'
    )
    [event] = events_of(response.content)
    assert event.uid == f"appointment-{booked.id}@medimyth"
    assert event.starts_at == datetime.fromisoformat(reported["startsAt"])
    assert event.ends_at == datetime.fromisoformat(reported["endsAt"])
    assert (event.tzid, event.status) == ("Asia/Kolkata", "CONFIRMED")
    assert "Dr. Asha Rao" in event.summary
    assert booked.public_id in event.description
    assert str(booked.patient_phone) not in response.text
    assert str(booked.patient_phone).removeprefix("+91") not in response.text
    assert booked.patient_name not in response.text


async def test_a_cancelled_booking_is_a_cancelled_event(
    gql: GraphQLClient, client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock
) -> None:
    # given
    doctor = await factories.make_doctor(session)
    schedule = await factories.make_schedule(session, doctor, weekday=3)
    booked = await factories.make_appointment(
        session,
        schedule,
        THURSDAY,
        manage_token=MANAGE_TOKEN,
        status=AppointmentStatus.CANCELLED_BY_PATIENT,
        cancelled_at=clock.now(),
    )
    await session.commit()
    # when
    response = await client.get(await calendar_url(gql, booked.public_id))
    # then
    [event] = events_of(response.content)
    assert event.status == "CANCELLED"
    assert event.summary.startswith("Cancelled: ")


async def test_a_forged_or_borrowed_signature_finds_nothing(
    gql: GraphQLClient, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    # given two bookings and the real link of the first
    doctor = await factories.make_doctor(session)
    schedule = await factories.make_schedule(session, doctor, weekday=3)
    mine = await factories.make_appointment(session, schedule, THURSDAY, manage_token=MANAGE_TOKEN)
    theirs = await factories.make_appointment(session, schedule, THURSDAY)
    await session.commit()
    url = await calendar_url(gql, mine.public_id)
    signature = parse_qs(urlsplit(url).query)["sig"][0]
    forged = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    # when the signature is changed, left out, or used for another booking
    answers = [
        await client.get(f"/calendar/appointments/{mine.public_id}.ics?sig={forged}"),
        await client.get(f"/calendar/appointments/{mine.public_id}.ics"),
        await client.get(f"/calendar/appointments/{theirs.public_id}.ics?sig={signature}"),
        await client.get(f"/calendar/appointments/MMA-999.ics?sig={signature}"),
        await client.get(f"/calendar/appointments/nonsense.ics?sig={signature}"),
    ]
    # then each is the same 404, and the real link still works
    assert [answer.status_code for answer in answers] == [404] * 5
    assert (await client.get(url)).status_code == 200


async def test_a_patients_link_lasts_a_key_rotation_until_the_old_key_is_dropped(
    gql: GraphQLClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    database: Database,
) -> None:
    # given a link signed with today's key, and servers after a rotation
    doctor = await factories.make_doctor(session)
    schedule = await factories.make_schedule(session, doctor, weekday=3)
    booked = await factories.make_appointment(
        session, schedule, THURSDAY, manage_token=MANAGE_TOKEN
    )
    await session.commit()
    path = urlsplit(await calendar_url(gql, booked.public_id))
    link = f"{path.path}?{path.query}"
    new_key = "a-new-key-that-is-long-enough-for-production-1234"
    rotated = replace(settings, secret_key=new_key, secret_key_previous=(settings.secret_key,))
    dropped = replace(settings, secret_key=new_key, secret_key_previous=())
    # when each server is asked for the link
    answers = []
    for served in (rotated, dropped):
        app = create_app(served, clock=clock, database=database)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as web:
            answers.append((await web.get(link)).status_code)
    # then the old key still verifies while listed, and nothing does once it is gone
    assert answers == [200, 404]
