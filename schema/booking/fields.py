"""Patient root fields: finding sessions across doctors, and booking a place in one."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from resolvers.booking import book as booking
from resolvers.booking import results as answers
from resolvers.booking import sessions
from resolvers.platform import errors as results
from schema.booking.types import Appointment, Session
from schema.platform.context import Info
from schema.platform.errors import NotFound, OtpInvalid, UserError, ValidationFailed
from schema.platform.ids import int_id
from schema.platform.pagination import PageInfo


@strawberry.input(description="Sessions of active doctors in a date range (at most 62 days).")
class SessionFilter:
    from_: date = strawberry.field(name="from")
    to: date
    category_ids: list[strawberry.ID] | None = None
    city: str | None = None
    only_bookable: bool = strawberry.field(
        default=False, description="Only sessions that are OPEN now (window open, seats left)."
    )

    def to_resolver(self) -> sessions.SessionFilter:
        return sessions.SessionFilter(
            start=self.from_,
            end=self.to,
            category_ids=tuple(int_id(raw) for raw in self.category_ids or []),
            city=self.city,
            only_bookable=self.only_bookable,
        )


@strawberry.type
class SessionEdge:
    cursor: str
    node: Session


@strawberry.type
class SessionConnection:
    total_count: int
    page_info: PageInfo
    edges: list[SessionEdge]


@strawberry.input(description="A place in one session, confirmed by a code sent to the phone.")
class BookAppointmentInput:
    schedule_id: strawberry.ID
    date: date
    patient_name: str
    patient_age: int
    patient_phone: str = strawberry.field(
        description="10 digits (default country) or +<country><number>."
    )
    otp_code: str = strawberry.field(
        description="The code from requestOtp(patientPhone, BOOK_APPOINTMENT)."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Any unique string per booking attempt: retrying with the same key and "
        "the same input returns the first answer (manage token included).",
    )

    def to_resolver(self) -> booking.BookingRequest:
        return booking.BookingRequest(
            schedule_id=int_id(self.schedule_id),
            day=self.date,
            patient_name=self.patient_name,
            patient_age=self.patient_age,
            patient_phone=self.patient_phone,
            otp_code=self.otp_code,
            idempotency_key=self.idempotency_key,
        )


@strawberry.type(description="The place is yours. Keep the manage token: it is shown only here.")
class Booked:
    manage_token: str = strawberry.field(
        description="Needed to view or cancel the booking; stored only as a hash."
    )
    replayed: bool = strawberry.field(
        description="True when this answers a retry with an idempotency key already used."
    )
    appointment: Appointment


@strawberry.type
class SessionFull(UserError):
    session: Session


@strawberry.type
class BookingNotOpen(UserError):
    opens_at: datetime


@strawberry.type
class BookingClosed(UserError):
    closed_at: datetime


@strawberry.type
class DoctorOnVacation(UserError):
    until: date = strawberry.field(description="The last day of the vacation.")


@strawberry.type
class NotAScheduledDate(UserError):
    next_session: Session | None = strawberry.field(
        description="The schedule's next session that is not over, within 60 days."
    )


@strawberry.type
class DuplicateBooking(UserError):
    existing: Appointment


BookAppointmentResult = Annotated[
    Booked
    | SessionFull
    | BookingNotOpen
    | BookingClosed
    | DoctorOnVacation
    | NotAScheduledDate
    | DuplicateBooking
    | OtpInvalid
    | NotFound
    | ValidationFailed,
    strawberry.union("BookAppointmentResult"),
]


def _answer(result: answers.BookingResult) -> BookAppointmentResult:
    if isinstance(result, answers.Booked):
        return Booked(
            manage_token=result.manage_token,
            replayed=result.replayed,
            appointment=Appointment.from_model(result.appointment),
        )
    if isinstance(result, answers.SessionFull):
        return SessionFull(message=result.message, session=Session.from_occurrence(result.session))
    if isinstance(result, answers.BookingNotOpen):
        return BookingNotOpen(message=result.message, opens_at=result.opens_at)
    if isinstance(result, answers.BookingClosed):
        return BookingClosed(message=result.message, closed_at=result.closed_at)
    if isinstance(result, answers.DoctorOnVacation):
        return DoctorOnVacation(message=result.message, until=result.until)
    if isinstance(result, answers.NotAScheduledDate):
        upcoming = result.next_session
        return NotAScheduledDate(
            message=result.message,
            next_session=None if upcoming is None else Session.from_occurrence(upcoming),
        )
    if isinstance(result, answers.DuplicateBooking):
        return DuplicateBooking(
            message=result.message, existing=Appointment.from_model(result.existing)
        )
    if isinstance(result, results.OtpInvalid):
        return OtpInvalid.from_result(result)
    if isinstance(result, results.NotFound):
        return NotFound.from_result(result)
    return ValidationFailed.from_result(result)


@strawberry.type
class BookingQuery:
    @strawberry.field(
        description="Sessions of active doctors, by start time, a page at a time (first <= 100)."
    )
    async def find_sessions(
        self,
        info: Info,
        filter: SessionFilter,  # noqa: A002 - the contract's argument name
        first: int | None = None,
        after: str | None = None,
    ) -> SessionConnection:
        ctx = info.context
        session_filter = filter.to_resolver()
        async with ctx.db.use() as session:
            found = await sessions.searchable_schedules(
                session=session, session_filter=session_filter
            )
        for _, doctor in found:
            ctx.loaders.account_by_id.prime(doctor.id, doctor)
        page = await sessions.find_sessions(
            ctx.loaders,
            schedules=found,
            session_filter=session_filter,
            first=first,
            after=after,
            now=ctx.clock.now(),
        )
        return SessionConnection(
            total_count=page.total_count,
            page_info=PageInfo.from_page(page),
            edges=[
                SessionEdge(cursor=page.cursor(index), node=Session.from_occurrence(item))
                for index, item in enumerate(page.items)
            ],
        )


@strawberry.type
class BookingMutation:
    @strawberry.mutation(description="Book a place in a session (needs a BOOK_APPOINTMENT code).")
    async def book_appointment(
        self,
        info: Info,
        input: BookAppointmentInput,  # noqa: A002 - the contract's argument name
    ) -> BookAppointmentResult:
        ctx = info.context
        async with ctx.db.use() as session:
            result = await booking.book_appointment(
                session=session,
                request=input.to_resolver(),
                now=ctx.clock.now(),
                secret=ctx.settings.secret_key,
                default_country_code=ctx.settings.default_country_code,
            )
        return _answer(result)
