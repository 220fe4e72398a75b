"""Appointment root fields: the patient's view by manage token, and the doctor's session lists."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from db.enums import AppointmentStatus
from resolvers.booking import appointments
from resolvers.platform import errors as results
from schema.booking.types import Appointment
from schema.platform.context import Info
from schema.platform.errors import NotAllowed, NotFound
from schema.platform.ids import int_id


@strawberry.type
class AppointmentCancelled:
    appointment: Appointment


@strawberry.type
class AppointmentUpdated:
    appointment: Appointment


CancelAppointmentResult = Annotated[
    AppointmentCancelled | NotFound | NotAllowed, strawberry.union("CancelAppointmentResult")
]
SetAppointmentStatusResult = Annotated[
    AppointmentUpdated | NotFound | NotAllowed, strawberry.union("SetAppointmentStatusResult")
]


def _cancelled(
    result: appointments.AppointmentCancelled | results.NotFound | results.NotAllowed,
) -> CancelAppointmentResult:
    if isinstance(result, appointments.AppointmentCancelled):
        return AppointmentCancelled(appointment=Appointment.from_model(result.appointment))
    if isinstance(result, results.NotFound):
        return NotFound.from_result(result)
    return NotAllowed.from_result(result)


@strawberry.type
class AppointmentQuery:
    @strawberry.field(description="A booking, for whoever holds its manage token; else null.")
    async def my_appointment(
        self, info: Info, public_id: str, manage_token: str
    ) -> Appointment | None:
        async with info.context.db.use() as session:
            found = await appointments.managed_appointment(
                session=session, public_id=public_id, manage_token=manage_token
            )
        return None if found is None else Appointment.from_model(found)

    @strawberry.field(
        description="Everyone booked into one of your sessions, by queue number (cancelled too). "
        "Another doctor's schedule gives an empty list."
    )
    async def session_appointments(
        self, info: Info, schedule_id: strawberry.ID, date: date
    ) -> list[Appointment]:
        doctor = await info.context.require_doctor()
        async with info.context.db.use() as session:
            found = await appointments.session_appointments(
                session=session, doctor_id=doctor.id, schedule_id=int_id(schedule_id), day=date
            )
        return [Appointment.from_model(model) for model in found]


@strawberry.type
class AppointmentMutation:
    @strawberry.mutation(description="Cancel your booking before its session starts.")
    async def cancel_my_appointment(
        self, info: Info, public_id: str, manage_token: str, reason: str | None = None
    ) -> CancelAppointmentResult:
        async with info.context.db.use() as session:
            result = await appointments.cancel_my_appointment(
                session=session,
                public_id=public_id,
                manage_token=manage_token,
                reason=reason,
                now=info.context.clock.now(),
            )
        return _cancelled(result)

    @strawberry.mutation(
        description="Cancel a patient's booking before the session; they get an SMS."
    )
    async def cancel_appointment(
        self,
        info: Info,
        id: strawberry.ID,  # noqa: A002 - the contract's argument name
        reason: str,
    ) -> CancelAppointmentResult:
        doctor = await info.context.require_doctor()
        async with info.context.db.use() as session:
            result = await appointments.cancel_appointment(
                session=session,
                doctor=doctor,
                appointment_id=int_id(id),
                reason=reason,
                now=info.context.clock.now(),
            )
        return _cancelled(result)

    @strawberry.mutation(
        description="BOOKED -> ARRIVED (from the session's day) -> COMPLETED; BOOKED -> NO_SHOW "
        "or COMPLETED once the session started; NO_SHOW -> ARRIVED for a late arrival."
    )
    async def set_appointment_status(
        self,
        info: Info,
        id: strawberry.ID,  # noqa: A002 - the contract's argument name
        status: AppointmentStatus,
    ) -> SetAppointmentStatusResult:
        doctor = await info.context.require_doctor()
        async with info.context.db.use() as session:
            result = await appointments.set_appointment_status(
                session=session,
                doctor=doctor,
                appointment_id=int_id(id),
                status=status,
                now=info.context.clock.now(),
            )
        if isinstance(result, appointments.AppointmentUpdated):
            return AppointmentUpdated(appointment=Appointment.from_model(result.appointment))
        if isinstance(result, results.NotFound):
            return NotFound.from_result(result)
        return NotAllowed.from_result(result)
