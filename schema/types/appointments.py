"""The Appointment type: one patient's place in a session, seen by its doctor or its patient."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from db.enums import AppointmentStatus
from db.models import Appointment as AppointmentModel
from db.models import ScheduleRecord
from resolvers import appointments, sessions
from schema.context import Info
from schema.types import enums as _registered_enums  # noqa: F401 - registers AppointmentStatus
from schema.types.doctors import Doctor
from schema.types.sessions import Session


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
    patient_phone: str
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
    async def doctor(self, info: Info) -> Doctor | None:
        schedule = await self._schedule(info)
        doctor = await info.context.loaders.account_by_id.load(schedule.doctor_id)
        if doctor is None or not info.context.is_active_doctor(doctor):
            return None
        return Doctor.from_model(doctor)

    @strawberry.field(description="True while it is BOOKED and its session has not started.")
    async def can_cancel(self, info: Info) -> bool:
        schedule = await self._schedule(info)
        doctor = await info.context.loaders.account_by_id.load(schedule.doctor_id)
        assert doctor is not None
        starts_at = appointments.session_start(schedule, doctor, self.session_date)
        return appointments.can_cancel(
            self.status, starts_at=starts_at, now=info.context.clock.now()
        )
