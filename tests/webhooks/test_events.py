"""Which endpoints hear which events: admins every one, a doctor their own; no phone ever."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import DoctorStatus
from db.models import Appointment, Schedule, WebhookDelivery
from db.session import Database
from resolvers.platform.clock import FixedClock
from resolvers.webhooks.delivery import Dispatcher
from settings import Settings
from tests.accounts_support import token_for
from tests.booking_support import booking, give_code
from tests.conftest import GraphQLClient
from tests.factories import make_admin, make_doctor, make_schedule
from tests.operations import operation
from tests.webhooks.receiver import Receiver
from tests.webhooks.support import ALL_EVENTS, deliver_all, register

BOOK = operation("BookAppointment")
CANCEL_MINE = operation("CancelMyAppointment")
CANCEL = operation("CancelAppointment")
SET_STATUS = operation("SetAppointmentStatus")
ACTIVATE = operation("ActivateDoctor")
TUESDAY = 1
TODAY = date(2026, 12, 1)  # "now" is Tuesday 2026-12-01 09:00 in Kolkata
PHONES = ("+919830012345", "+919830012346", "+919830012347")


def _strings(value: Any) -> Iterator[str]:
    """Every key and string value in a decoded JSON document."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


async def _book(
    gql: GraphQLClient,
    session: AsyncSession,
    schedule_id: int,
    phone: str,
    *,
    settings: Settings,
    clock: FixedClock,
) -> dict[str, Any]:
    await give_code(session, phone, settings=settings, clock=clock)
    await session.commit()
    schedule = await session.get_one(Schedule, schedule_id)
    body = await gql(BOOK, booking(schedule, TODAY, patientPhone=phone[3:]))
    booked: dict[str, Any] = body["data"]["bookAppointment"]
    assert booked["__typename"] == "Booked", body
    return booked


async def test_each_endpoint_hears_its_events_signed_and_without_a_phone(
    gql: GraphQLClient,
    session: AsyncSession,
    database: Database,
    receiver: Receiver,
    dispatcher: Dispatcher,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given an admin's endpoint and one for each of two doctors, on receivers of their own
    admin = await make_admin(session)
    asha = await make_doctor(session, name="Dr. Asha Rao")
    vikram = await make_doctor(session, name="Dr. Vikram Sen")
    waiting = await make_doctor(session, status=DoctorStatus.PENDING_ACTIVATION)
    ashas = await make_schedule(session, asha, weekday=TUESDAY)
    vikrams = await make_schedule(session, vikram, weekday=TUESDAY)
    await session.commit()
    tokens = {who: token_for(who, settings=settings, clock=clock) for who in (admin, asha, vikram)}
    receivers = {"admin": receiver, "asha": Receiver(), "vikram": Receiver()}
    for other in ("asha", "vikram"):
        await receivers[other].start()
    await register(
        gql,
        tokens[admin],
        receiver.url,
        events=[*ALL_EVENTS, "DOCTOR_ACTIVATED"],
        receiver=receiver,
    )
    await register(gql, tokens[asha], receivers["asha"].url, receiver=receivers["asha"])
    await register(gql, tokens[vikram], receivers["vikram"].url, receiver=receivers["vikram"])
    # when patients book, a doctor marks an arrival, a patient and a doctor cancel,
    # and the admin activates a doctor
    first = await _book(gql, session, ashas.id, PHONES[0], settings=settings, clock=clock)
    second = await _book(gql, session, ashas.id, PHONES[1], settings=settings, clock=clock)
    third = await _book(gql, session, vikrams.id, PHONES[2], settings=settings, clock=clock)
    answers = [
        await gql(SET_STATUS, {"id": _id(first), "status": "ARRIVED"}, token=tokens[asha]),
        await gql(
            CANCEL_MINE,
            {
                "publicId": second["appointment"]["publicId"],
                "manageToken": second["manageToken"],
                "reason": "feeling better",
            },
        ),
        await gql(CANCEL, {"id": _id(third), "reason": "surgery"}, token=tokens[vikram]),
        await gql(ACTIVATE, {"doctorId": str(waiting.id)}, token=tokens[admin]),
    ]
    delivered = await deliver_all(database, dispatcher, clock)
    try:
        # then every mutation succeeded and every delivery went out, verified
        assert all("errors" not in answer for answer in answers), answers
        assert delivered == 7 + 4 + 2
        heard = {
            who: [item.payload["type"] for item in found.received]
            for who, found in receivers.items()
        }
        assert sorted(heard["admin"]) == sorted(
            [
                "appointment.booked",
                "appointment.booked",
                "appointment.booked",
                "appointment.status_changed",
                "appointment.cancelled",
                "appointment.cancelled",
                "doctor.activated",
            ]
        )
        assert sorted(heard["asha"]) == sorted(
            [
                "appointment.booked",
                "appointment.booked",
                "appointment.status_changed",
                "appointment.cancelled",
            ]
        )
        assert sorted(heard["vikram"]) == ["appointment.booked", "appointment.cancelled"]
        everything = [item for found in receivers.values() for item in found.received]
        assert all(item.verified for item in everything)
        # and the doctors' endpoints heard only their own schedules
        for who, doctor in (("asha", asha), ("vikram", vikram)):
            assert {item.payload["data"]["doctor"]["id"] for item in receivers[who].received} == {
                str(doctor.id)
            }
        # and no payload holds a phone number (nor a field named for one)
        digits = [phone[3:] for phone in PHONES]
        for item in everything:
            text = item.body.decode()
            assert not any(phone in text for phone in digits), text
            assert not any("phone" in s.lower() for s in _strings(item.payload)), text
        # and the payloads say what happened
        by_type = {
            item.payload["type"]: item.payload["data"] for item in receivers["asha"].received
        }
        assert by_type["appointment.status_changed"]["previousStatus"] == "BOOKED"
        assert by_type["appointment.status_changed"]["appointment"]["status"] == "ARRIVED"
        assert by_type["appointment.cancelled"]["cancelledBy"] == "PATIENT"
        assert by_type["appointment.cancelled"]["appointment"]["cancellationReason"] == (
            "feeling better"
        )
        booked = by_type["appointment.booked"]
        assert booked["session"]["date"] == "2026-12-01"
        assert booked["doctor"]["publicId"] == asha.public_id
        assert first["appointment"]["publicId"] in {
            item.payload["data"]["appointment"]["publicId"] for item in receivers["asha"].received
        }
    finally:
        for other in ("asha", "vikram"):
            await receivers[other].stop()


def _id(booked: dict[str, Any]) -> str:
    """The appointment's id as the doctor's operations take it (MMA-<id> for the patient)."""
    public_id: str = booked["appointment"]["publicId"]
    return public_id.removeprefix("MMA-")


async def test_a_refused_change_queues_no_event(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a doctor's endpoint and a booking still ahead (it cannot be marked COMPLETED)
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, weekday=TUESDAY)
    await session.commit()
    token = token_for(doctor, settings=settings, clock=clock)
    await register(gql, token, "http://127.0.0.1:9/hooks")
    await _book(gql, session, schedule.id, PHONES[0], settings=settings, clock=clock)
    appointment_id = await session.scalar(select(Appointment.id))
    # when the doctor tries a change the rules refuse
    refused = await gql(SET_STATUS, {"id": str(appointment_id), "status": "COMPLETED"}, token=token)
    # then only the booking was queued
    events = (await session.scalars(select(WebhookDelivery.event))).all()
    assert refused["data"]["setAppointmentStatus"]["__typename"] == "NotAllowed"
    assert [event.value for event in events] == ["APPOINTMENT_BOOKED"]
