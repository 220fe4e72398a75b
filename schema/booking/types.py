"""Booking's types: Session (one schedule on one date, computed) and Appointment."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Protocol
from zoneinfo import ZoneInfo

import strawberry

from db.enums import AppointmentStatus
from db.models import Appointment as AppointmentModel
from db.models import ScheduleRecord
from resolvers.booking import appointments, sessions
from resolvers.live import estimates
from resolvers.live.board import Board
from resolvers.platform.calendar import Occurrence
from resolvers.platform.calendar import SessionStatus as SessionStatusValue
from resolvers.platform.pagination import Page
from schema.feeds.types import appointment_calendar_url
from schema.live.types import LiveSession
from schema.platform import enums as _registered_enums  # noqa: F401 - registers AppointmentStatus
from schema.platform.context import Info
from schema.platform.pagination import Connection
from schema.scheduling.types import Schedule

if TYPE_CHECKING:
    from schema.catalogue.types import Doctor

SessionStatus = strawberry.enum(
    SessionStatusValue,
    description="Whether a session can be booked now: window, seats and vacations decide.",
)


@strawberry.type(
    description="One occurrence of a schedule on a date. Instants carry the doctor's offset."
)
class Session:
    date: date
    starts_at: datetime
    ends_at: datetime | None = strawberry.field(description="Null for an open-ended schedule.")
    booking_opens_at: datetime
    booking_closes_at: datetime = strawberry.field(
        description="Bookings are accepted from bookingOpensAt until just before this instant."
    )
    capacity: int | None = strawberry.field(description="Null means no limit.")
    booked_count: int
    remaining: int | None = strawberry.field(description="Null when capacity is unlimited.")
    status: SessionStatusValue
    schedule_id: strawberry.Private[int]

    @classmethod
    def from_occurrence(cls, item: Occurrence) -> Session:
        times = item.times
        return cls(
            date=item.day,
            starts_at=times.local(times.starts_at),
            ends_at=None if times.ends_at is None else times.local(times.ends_at),
            booking_opens_at=times.local(times.opens_at),
            booking_closes_at=times.local(times.closes_at),
            capacity=item.capacity,
            booked_count=item.booked_count,
            remaining=item.remaining,
            status=item.status,
            schedule_id=item.schedule_id,
        )

    # Sync, answering at once from the primed loader (see SessionLoader.load_then).
    @strawberry.field(graphql_type=Schedule)
    def schedule(self, info: Info) -> Schedule | Awaitable[Schedule]:
        return info.context.loaders.schedule_by_id.load_then(self.schedule_id, _schedule_of)

    @strawberry.field(description="Its live state on the day; null when the doctor is not public.")
    async def live_session(self, info: Info) -> LiveSession | None:
        board = await info.context.loaders.board_by_session.load((self.schedule_id, self.date))
        return None if board is None else LiveSession.from_board(board)


def _schedule_of(model: ScheduleRecord | None) -> Schedule:
    # A session only exists for a schedule that was loaded to compute it.
    assert model is not None
    return Schedule.from_model(model)


@strawberry.type(
    description="A booking. Only the doctor of its schedule, or whoever holds its manage token, "
    "ever sees one."
)
class Appointment:
    id: strawberry.ID
    public_id: str = strawberry.field(description="MMA-<n>: what the patient quotes.")
    queue_number: int = strawberry.field(description="1, 2, 3... per session, in booking order.")
    patient_name: str
    patient_age: int
    patient_phone: str | None = strawberry.field(
        description="Null only for a walk-in who gave none."
    )
    walk_in: bool = strawberry.field(description="Added at the chamber by the doctor.")
    status: AppointmentStatus
    created_at: datetime
    cancelled_at: datetime | None
    cancellation_reason: str | None
    schedule_id: strawberry.Private[int]
    session_date: strawberry.Private[date]

    @classmethod
    def from_model(cls, model: AppointmentModel) -> Appointment:
        return cls(
            id=strawberry.ID(str(model.id)),
            public_id=model.public_id,
            queue_number=model.queue_number,
            patient_name=model.patient_name,
            patient_age=model.patient_age,
            patient_phone=model.patient_phone,
            walk_in=model.is_walk_in,
            status=model.status,
            created_at=model.created_at,
            cancelled_at=model.cancelled_at,
            cancellation_reason=model.cancellation_reason,
            schedule_id=model.schedule_id,
            session_date=model.session_date,
        )

    async def _schedule(self, info: Info) -> ScheduleRecord:
        schedule = await info.context.loaders.schedule_by_id.load(self.schedule_id)
        assert schedule is not None  # appointments.schedule_id is a foreign key
        return schedule

    async def _time_zone(self, info: Info, schedule: ScheduleRecord) -> str:
        doctor = await info.context.loaders.account_by_id.load(schedule.doctor_id)
        assert doctor is not None  # schedules.doctor_id is a foreign key
        return doctor.time_zone

    @strawberry.field(description="The session booked into, as it stands now.")
    async def session(self, info: Info) -> Session:
        schedule = await self._schedule(info)
        found = await sessions.session_of(
            info.context.loaders,
            schedule=schedule,
            time_zone=await self._time_zone(info, schedule),
            day=self.session_date,
            now=info.context.clock.now(),
        )
        return Session.from_occurrence(found)

    @strawberry.field(description="The doctor, as the public sees them; null unless active.")
    async def doctor(
        self, info: Info
    ) -> Annotated[Doctor, strawberry.lazy("schema.catalogue.types")] | None:
        from schema.catalogue.types import Doctor  # the Doctor type lists sessions itself

        schedule = await self._schedule(info)
        doctor = await info.context.loaders.account_by_id.load(schedule.doctor_id)
        if doctor is None or not info.context.is_active_doctor(doctor):
            return None
        return Doctor.from_model(doctor)

    calendar_url: str = strawberry.field(
        resolver=appointment_calendar_url,
        description="An .ics of this booking for the patient's calendar app (a signed link: "
        "no token needed, and it never shows the patient's phone).",
    )

    async def _board(self, info: Info) -> Board | None:
        return await info.context.loaders.board_by_session.load(
            (self.schedule_id, self.session_date)
        )

    @strawberry.field(
        description="Its session's live state (the public board); null when the "
        "doctor is not public."
    )
    async def live(self, info: Info) -> LiveSession | None:
        board = await self._board(info)
        return None if board is None else LiveSession.from_board(board)

    @strawberry.field(
        description="Patients who will still be seen first (booked or arrived with a lower "
        "number, and the one in consultation); 0 in consultation; null once final or ended."
    )
    async def position(self, info: Info) -> int | None:
        board = await self._board(info)
        if board is None:
            return None
        return estimates.position(self.status, self.queue_number, board.queue, ended=board.ended)

    @strawberry.field(
        description="About when this patient is called: max(now, start + delay, startedAt) + "
        "position x the average consultation; never before start + delay. Null with no position."
    )
    async def estimated_call_at(self, info: Info) -> datetime | None:
        board = await self._board(info)
        if board is None:
            return None
        found = estimates.estimated_call_at(
            position=estimates.position(
                self.status, self.queue_number, board.queue, ended=board.ended
            ),
            now=info.context.clock.now(),
            starts_at=board.starts_at,
            delay_minutes=board.delay_minutes,
            started_at=board.started_at,
            average_minutes=board.average_consult_minutes,
        )
        return None if found is None else found.astimezone(ZoneInfo(board.time_zone))

    @strawberry.field(description="True while it is BOOKED and its session has not started.")
    async def can_cancel(self, info: Info) -> bool:
        schedule = await self._schedule(info)
        doctor = await info.context.loaders.account_by_id.load(schedule.doctor_id)
        assert doctor is not None
        starts_at = appointments.session_start(schedule, doctor, self.session_date)
        return appointments.can_cancel(
            self.status, starts_at=starts_at, now=info.context.clock.now()
        )


class _HasSessions(Protocol):
    id: strawberry.ID
    time_zone: str


async def sessions_between(
    self: _HasSessions,
    info: Info,
    from_: Annotated[date, strawberry.argument(name="from")],
    to: date,
) -> list[Session]:
    """The ``sessions`` field of a doctor or an account: theirs in [from, to], by start time."""
    found = await sessions.doctor_sessions(
        info.context.loaders,
        doctor_id=int(self.id),
        time_zone=self.time_zone,
        start=from_,
        end=to,
        now=info.context.clock.now(),
    )
    return [Session.from_occurrence(item) for item in found]


SessionConnection = Connection[Session]


def session_connection(page: Page[Occurrence]) -> SessionConnection:
    return Connection.of(page, [Session.from_occurrence(item) for item in page.items])
