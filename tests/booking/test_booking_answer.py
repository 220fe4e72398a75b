"""A committed booking is answered in full without the database: nothing is read after COMMIT.

When the database dies between a booking's commit and its answer, the patient must
still get the answer, manage token included (without an idempotency key a retry
cannot recover it). The booking reads the schedule, its doctor and the session's
seats inside its transaction and hands them to the request's loaders; here every
statement after the commit fails as on a dead server, and none is tried.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from db.session import Database
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.booking_support import booking, give_code
from tests.conftest import GraphQLClient
from tests.factories import make_appointment, make_doctor, make_schedule
from tests.operations import operation

BOOK = operation("BookAppointment")
DEC_3 = date(2026, 12, 3)
PHONE = "+919830012345"
# Every field an appointment's answer can reach, nested ones through loaders.
APPOINTMENT_FIELDS = """
    id publicId queueNumber patientName patientAge patientPhone status createdAt
    cancelledAt cancellationReason canCancel
    session {
      date startsAt endsAt bookingOpensAt bookingClosesAt capacity bookedCount remaining
      status schedule { id weekday startTime fee patientLimit clinicName address contactPhone }
    }
    doctor { id publicId name phone timeZone }
"""
BOOK_IN_FULL = (
    "mutation BookInFull($input: BookAppointmentInput!) { bookAppointment(input: $input) {"
    f" __typename ... on Booked {{ manageToken replayed appointment {{ {APPOINTMENT_FIELDS} }} }}"
    " } }"
)
MY_APPOINTMENT_IN_FULL = (
    "query MineInFull($publicId: String!, $manageToken: String!) {"
    f" myAppointment(publicId: $publicId, manageToken: $manageToken) {{ {APPOINTMENT_FIELDS} }} }}"
)


@contextmanager
def database_dies_at_commit(database: Database) -> Iterator[list[str]]:
    """From the first COMMIT on, every statement fails as on a dead server; yields those tried."""
    tried: list[str] = []
    committed = False

    def on_commit(_connection: Any) -> None:
        nonlocal committed
        committed = True

    def on_statement(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if committed:
            tried.append(statement)
            raise ConnectionResetError("the database went away after the commit")

    engine = database.engine.sync_engine
    event.listen(engine, "commit", on_commit)
    event.listen(engine, "before_cursor_execute", on_statement)
    try:
        yield tried
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "commit", on_commit)


async def test_the_frontends_booking_answer_needs_no_statement_after_the_commit(
    gql: GraphQLClient,
    session: AsyncSession,
    database: Database,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given a session with one patient booked already
    doctor = await make_doctor(session, name="Dr. Asha Rao")
    schedule = await make_schedule(session, doctor, weekday=3)
    await make_appointment(session, schedule, DEC_3)
    await give_code(session, PHONE, settings=settings, clock=clock)
    await session.commit()
    # when the patient books, without an idempotency key, and the database dies at COMMIT
    with database_dies_at_commit(database) as tried:
        body = await gql(BOOK, booking(schedule, DEC_3))
    # then
    assert tried == []
    assert "errors" not in body, body
    booked = body["data"]["bookAppointment"]
    assert booked["__typename"] == "Booked"
    assert booked["manageToken"]
    assert booked["appointment"] == {
        "publicId": "MMA-2",
        "queueNumber": 2,
        "status": "BOOKED",
        "patientName": "Rina Das",
        "session": {"date": "2026-12-03", "startsAt": "2026-12-03T18:00:00+05:30"},
        "doctor": {"publicId": doctor.public_id, "name": "Dr. Asha Rao"},
    }


async def test_every_field_of_the_answer_is_as_the_database_has_it_after_the_commit(
    gql: GraphQLClient,
    session: AsyncSession,
    database: Database,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, weekday=3, patient_limit=2)
    await make_appointment(session, schedule, DEC_3)
    await give_code(session, PHONE, settings=settings, clock=clock)
    await session.commit()
    # when the last seat is booked with the database dying at COMMIT, then read back
    with database_dies_at_commit(database) as tried:
        body = await gql(BOOK_IN_FULL, booking(schedule, DEC_3))
    answered = body["data"]["bookAppointment"]
    stored = await gql(
        MY_APPOINTMENT_IN_FULL,
        {"publicId": answered["appointment"]["publicId"], "manageToken": answered["manageToken"]},
    )
    # then the answer built from the booking's own reads is what a fresh read gives
    assert tried == []
    assert "errors" not in body, body
    assert answered["appointment"] == stored["data"]["myAppointment"]
    assert answered["appointment"]["session"]["status"] == "FULL"
    assert answered["appointment"]["session"]["remaining"] == 0


async def test_a_replayed_booking_needs_no_statement_after_its_commit_either(
    gql: GraphQLClient,
    session: AsyncSession,
    database: Database,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given a booking made with an idempotency key
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, weekday=3)
    await give_code(session, PHONE, settings=settings, clock=clock)
    await session.commit()
    request = booking(schedule, DEC_3, idempotencyKey="retry-me")
    first = await gql(BOOK_IN_FULL, request)
    # when the client retries and the database dies at COMMIT
    with database_dies_at_commit(database) as tried:
        retry = await gql(BOOK_IN_FULL, request)
    # then
    assert tried == []
    assert "errors" not in retry, retry
    assert retry["data"]["bookAppointment"]["replayed"] is True
    del first["data"]["bookAppointment"]["replayed"], retry["data"]["bookAppointment"]["replayed"]
    assert retry == first
