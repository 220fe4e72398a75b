"""A session day from start to end, with booked, absent, arriving and walk-in patients."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus
from db.models import Appointment
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.conftest import GraphQLClient
from tests.factories import make_appointment
from tests.live_support import DAY, live_operation, open_desk

MY_PLACE = live_operation("MyPlace")
TOKEN = "a-manage-token"


async def statuses(session: AsyncSession, schedule_id: int) -> dict[int, AppointmentStatus]:
    rows = await session.execute(
        select(Appointment.queue_number, Appointment.status)
        .where(Appointment.schedule_id == schedule_id, Appointment.session_date == DAY)
        .execution_options(populate_existing=True)
    )
    return {row.queue_number: row.status for row in rows}


async def test_a_session_day_with_booked_absent_arriving_and_walk_in_patients(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given five booked patients: 1 comes late, 2 and 3 come on time, 4 never comes, 5 is ours
    desk = await open_desk(gql, session, settings=settings, clock=clock)
    booked = [await make_appointment(session, desk.schedule, DAY) for _ in range(4)]
    mine = await make_appointment(session, desk.schedule, DAY, manage_token=TOKEN)
    await session.commit()
    late, early, on_time, _absent = booked
    place = {"publicId": mine.public_id, "manageToken": TOKEN}

    # when the doctor starts, two arrive and a walk-in is added
    started = await desk.do("StartSession")
    assert await desk.set_status(early, "ARRIVED") == "AppointmentUpdated"
    assert await desk.set_status(on_time, "ARRIVED") == "AppointmentUpdated"
    walk_in = await desk.walk_in("Gopal Das", age=61)

    # then
    assert started == {
        "__typename": "LiveSessionChanged",
        "live": {
            "state": "RUNNING",
            "startedAt": "2026-12-03T12:30:00+00:00",
            "nowServing": None,
            "waitingCount": 5,
        },
    }
    assert walk_in["__typename"] == "WalkInAdded"
    assert walk_in["appointment"]["queueNumber"] == 6
    assert walk_in["appointment"]["status"] == "ARRIVED"
    before = (await gql(MY_PLACE, place))["data"]["myAppointment"]
    assert before["position"] == 4  # 1, 2, 3 and 4 are ahead; the walk-in is behind
    assert before["estimatedCallAt"] == "2026-12-03T18:40:00+05:30"

    # when the doctor calls: the booked 1 is passed over, 2 comes in
    first = await desk.do("CallNext")
    clock.advance(timedelta(minutes=8))
    second = await desk.do("CallNext")
    # then
    assert first["appointment"]["queueNumber"] == 2
    assert first["appointment"]["status"] == "IN_CONSULTATION"
    assert first["live"]["nowServing"] == 2
    assert second["appointment"]["queueNumber"] == 3
    assert second["live"] == {"nowServing": 3, "waitingCount": 4, "averageConsultMinutes": 10.0}
    during = (await gql(MY_PLACE, place))["data"]["myAppointment"]
    assert during["position"] == 3  # 1 and 4 booked, 3 inside
    assert during["live"]["nowServing"] == 3

    # when the late patient arrives, the walk-in and then they are called in number order
    assert await desk.set_status(late, "ARRIVED") == "AppointmentUpdated"
    third = await desk.do("CallNext")
    fourth = await desk.do("CallNext")
    assert third["appointment"]["queueNumber"] == 1
    assert fourth["appointment"]["queueNumber"] == 6
    assert fourth["appointment"]["patientName"] == "Gopal Das"
    # ...and with nobody arrived left, the one inside is done and the queue is empty
    empty = await desk.do("CallNext")
    assert empty["__typename"] == "QueueEmpty"
    assert empty["live"] == {"nowServing": None, "waitingCount": 2}

    # when our patient arrives and is called, and the doctor ends the session
    mine_arrived = await desk.set_status(mine, "ARRIVED")
    assert mine_arrived == "AppointmentUpdated"
    assert (await desk.do("CallNext"))["appointment"]["queueNumber"] == 5
    clock.advance(timedelta(minutes=30))
    ended = await desk.do("EndSession")
    # then
    assert ended == {
        "__typename": "LiveSessionChanged",
        "live": {"state": "ENDED", "endedAt": "2026-12-03T13:08:00+00:00"},
    }
    assert await statuses(session, desk.schedule.id) == {
        1: AppointmentStatus.COMPLETED,
        2: AppointmentStatus.COMPLETED,
        3: AppointmentStatus.COMPLETED,
        4: AppointmentStatus.NO_SHOW,
        5: AppointmentStatus.COMPLETED,
        6: AppointmentStatus.COMPLETED,
    }
    after = (await gql(MY_PLACE, place))["data"]["myAppointment"]
    assert (after["status"], after["position"], after["estimatedCallAt"]) == (
        "COMPLETED",
        None,
        None,
    )


async def test_arrived_patients_never_called_stay_arrived_when_the_session_ends(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given one patient inside and one arrived, waiting
    desk = await open_desk(gql, session, settings=settings, clock=clock)
    inside, waiting = [await make_appointment(session, desk.schedule, DAY) for _ in range(2)]
    await session.commit()
    await desk.do("StartSession")
    await desk.set_status(inside, "ARRIVED")
    await desk.do("CallNext")
    await desk.set_status(waiting, "ARRIVED")
    # when
    ended = await desk.do("EndSession")
    # then
    assert ended["live"]["state"] == "ENDED"
    assert await statuses(session, desk.schedule.id) == {
        1: AppointmentStatus.COMPLETED,
        2: AppointmentStatus.ARRIVED,
    }


async def test_the_learned_average_replaces_the_default_after_five_consultations(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given seven arrived patients, each seen for four minutes, one for two hours
    desk = await open_desk(gql, session, settings=settings, clock=clock, consult_minutes=15)
    for _ in range(7):
        await make_appointment(session, desk.schedule, DAY, status=AppointmentStatus.ARRIVED)
    await session.commit()
    await desk.do("StartSession")
    averages = []
    # when
    for minutes in (4, 4, 120, 4, 4, 4, 4):
        called = await desk.do("CallNext")
        averages.append(called["live"]["averageConsultMinutes"])
        clock.advance(timedelta(minutes=minutes))
    last = await desk.do("CallNext")
    # then: the schedule's 15 until five consultations are done, then 4 despite the outlier
    assert averages == [15.0] * 5 + [4.0, 4.0]
    assert last["__typename"] == "QueueEmpty"
    board = await desk.send("LiveSession")
    assert board["data"]["liveSession"]["averageConsultMinutes"] == 4.0
