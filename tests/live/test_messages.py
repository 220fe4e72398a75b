"""What patients are texted on the session day, each message once per appointment and reason."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus, WebhookEvent
from db.models import Appointment, Notification, WebhookDelivery, WebhookEndpoint
from resolvers.platform.clock import FixedClock
from resolvers.platform.keys import keyring_of
from resolvers.webhooks.secrets import new_secret, seal
from settings import Settings
from tests.conftest import GraphQLClient
from tests.factories import make_appointment
from tests.live_support import DAY, STARTS, Desk, open_desk


async def texts(session: AsyncSession) -> list[tuple[str, str]]:
    """(recipient, body) of every queued SMS, oldest first."""
    rows = await session.execute(
        select(Notification.recipient, Notification.body).order_by(Notification.id)
    )
    return [(recipient, body) for recipient, body in rows.all()]


async def booked_desk(
    gql: GraphQLClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    patients: int = 3,
) -> tuple[Desk, list[Appointment]]:
    desk = await open_desk(gql, session, settings=settings, clock=clock)
    appointments = [await make_appointment(session, desk.schedule, DAY) for _ in range(patients)]
    await session.commit()
    return desk, appointments


async def test_starting_tells_every_booked_patient_once_even_when_raced(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given three booked, one of them already arrived
    desk, (first, second, third) = await booked_desk(gql, session, settings, clock)
    third.status = AppointmentStatus.ARRIVED
    await session.commit()
    # when the doctor taps "start" five times at once, then once more
    await asyncio.gather(*(desk.do("StartSession") for _ in range(5)))
    await desk.do("StartSession")
    # then
    started = [(to, body) for to, body in await texts(session) if body.startswith("Started:")]
    assert sorted(to for to, _ in started) == sorted(
        [str(first.patient_phone), str(second.patient_phone)]
    )
    (to_first,) = [body for to, body in started if to == first.patient_phone]
    assert f"Your appointment {first.public_id} is queue #1." in to_first
    assert "Dr. Asha Rao at Test Clinic" in to_first


async def test_a_delay_is_texted_when_it_moves_fifteen_minutes_or_more(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given one booked patient, two days ahead
    desk, (patient,) = await booked_desk(gql, session, settings, clock, patients=1)
    clock.set(STARTS - timedelta(days=2))
    # when the delay goes 10 (small), 40 (raced, twice more), 50 (small change), 0 (cleared)
    await desk.do("AnnounceDelay", minutes=10, notice=None)
    await asyncio.gather(
        *(desk.do("AnnounceDelay", minutes=40, notice="Surgery ran long") for _ in range(4))
    )
    await desk.do("AnnounceDelay", minutes=40, notice="Surgery ran long")
    await desk.do("AnnounceDelay", minutes=50, notice="Surgery ran long")
    await desk.do("AnnounceDelay", minutes=0, notice=None)
    # then
    bodies = [body for to, body in await texts(session) if to == patient.patient_phone]
    assert bodies == [
        "Running late: Dr. Asha Rao at Test Clinic, 12 Park Street, on Thu 03 Dec 2026 at 18:00 "
        f"is about 40 minutes behind (Surgery ran long). Your appointment {patient.public_id} "
        "keeps queue #1.",
        "On time again: Dr. Asha Rao at Test Clinic, 12 Park Street, on Thu 03 Dec 2026 at 18:00 "
        f"is no longer delayed. Your appointment {patient.public_id} is queue #1.",
    ]


async def test_a_link_in_the_notice_never_reaches_a_patient(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    desk, _ = await booked_desk(gql, session, settings, clock, patients=1)
    await desk.do("AnnounceDelay", minutes=30, notice="details at https://pay-here.top/x now")
    ((_, body),) = await texts(session)
    assert "pay-here" not in body
    assert "(details at now)" in body


async def test_each_waiting_patient_hears_once_that_they_are_nearly_in(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given six arrived patients and a walk-in without a phone
    desk = await open_desk(gql, session, settings=settings, clock=clock)
    patients = [
        await make_appointment(session, desk.schedule, DAY, status=AppointmentStatus.ARRIVED)
        for _ in range(6)
    ]
    await session.commit()
    await desk.walk_in("Gopal Das")
    # when the doctor starts and calls everyone, one call raced with another
    await desk.do("StartSession")
    await asyncio.gather(desk.do("CallNext"), desk.do("CallNext"))
    for _ in range(6):
        await desk.do("CallNext")
    # then: everyone with a phone heard it exactly once
    nearly = [to for to, body in await texts(session) if body.startswith("Almost your turn")]
    assert sorted(nearly) == sorted(str(patient.patient_phone) for patient in patients)
    first = [body for to, body in await texts(session) if to == patients[0].patient_phone]
    assert first == [
        f"Almost your turn: queue #1 ({patients[0].public_id}) at Test Clinic, 0 ahead of you."
    ]


async def test_a_delay_sends_the_session_delayed_webhook(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given the doctor's endpoint for session.delayed
    desk, _ = await booked_desk(gql, session, settings, clock, patients=1)
    session.add(
        WebhookEndpoint(
            doctor_id=desk.doctor.id,
            url="https://hooks.clinic.test/medimyth",
            events=[WebhookEvent.SESSION_DELAYED.value],
            enabled=True,
            secret=seal(new_secret(), keyring=keyring_of(settings)),
            created_at=clock.now(),
        )
    )
    await session.commit()
    # when: a delay, its repeat (no change), and a five-minute change
    for minutes in (20, 20, 25):
        await desk.do("AnnounceDelay", minutes=minutes, notice=None)
    # then
    bodies = (
        await session.scalars(select(WebhookDelivery.body).order_by(WebhookDelivery.id))
    ).all()
    events = [orjson.loads(body) for body in bodies]
    assert [event["type"] for event in events] == ["session.delayed", "session.delayed"]
    assert [
        (event["data"]["previousDelayMinutes"], event["data"]["delayMinutes"]) for event in events
    ] == [(0, 20), (20, 25)]
    assert events[0]["data"]["session"]["scheduleId"] == str(desk.schedule.id)
    assert "+91" not in bodies[0]
