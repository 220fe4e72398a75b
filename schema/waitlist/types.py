"""The waitlist's types: WaitlistEntry (a place in line for a full session) and its status."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from db.enums import WaitlistStatus as WaitlistStatusValue
from resolvers.booking import sessions
from resolvers.waitlist.results import WaitlistView
from schema.booking.types import Appointment, Session
from schema.platform.context import Info

WaitlistStatus = strawberry.enum(
    WaitlistStatusValue,
    description="WAITING in line; PROMOTED into a freed seat (see appointment); LEFT by the "
    "patient; EXPIRED when booking closed.",
)


@strawberry.type(
    description="A place in line for a full session. Only whoever holds its manage token (or "
    "the phone's sign-in) sees one."
)
class WaitlistEntry:
    public_id: str = strawberry.field(description="MMW-<n>: what the patient quotes.")
    status: WaitlistStatusValue = strawberry.field(graphql_type=WaitlistStatus)
    position: int | None = strawberry.field(
        description="1 for the next in line (1 + the entries waiting ahead); null once not WAITING."
    )
    patient_name: str
    created_at: datetime
    schedule_id: strawberry.Private[int]
    session_date: strawberry.Private[date]
    appointment_id: strawberry.Private[int | None]

    @classmethod
    def from_view(cls, view: WaitlistView) -> WaitlistEntry:
        entry = view.entry
        return cls(
            public_id=entry.public_id,
            status=entry.status,
            position=view.position,
            patient_name=entry.patient_name,
            created_at=entry.created_at,
            schedule_id=entry.schedule_id,
            session_date=entry.session_date,
            appointment_id=entry.appointment_id,
        )

    @strawberry.field(description="The session waited for, as it stands now.")
    async def session(self, info: Info) -> Session:
        loaders = info.context.loaders
        schedule = await loaders.schedule_by_id.load(self.schedule_id)
        assert schedule is not None  # waitlist_entries.schedule_id is a foreign key
        doctor = await loaders.account_by_id.load(schedule.doctor_id)
        assert doctor is not None  # schedules.doctor_id is a foreign key
        found = await sessions.session_of(
            loaders,
            schedule=schedule,
            time_zone=doctor.time_zone,
            day=self.session_date,
            now=info.context.clock.now(),
        )
        return Session.from_occurrence(found)

    @strawberry.field(
        description="The booking a freed seat gave this entry (its manage token manages it "
        "too); null unless PROMOTED."
    )
    async def appointment(self, info: Info) -> Appointment | None:
        if self.appointment_id is None:
            return None
        found = await info.context.loaders.appointment_by_id.load(self.appointment_id)
        return None if found is None else Appointment.from_model(found)
