"""Scheduling's mutation results: chambers created, edited or removed; vacations saved."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import strawberry

from db.models import ScheduleRecord
from resolvers.scheduling import schedules, vacations
from schema.platform.enums import Weekday, WeekOfMonth
from schema.platform.results import answers, each
from schema.platform.user_errors import NotAllowed, NotFound, UserError, ValidationFailed
from schema.scheduling.types import Schedule, Vacation


def _owned(models: Sequence[ScheduleRecord]) -> list[Schedule]:
    return Schedule.from_models(models, owner_view=True)


@strawberry.type(description="A weekday and week that was not created, and what it collides with.")
class WeekConflict:
    weekday: Weekday
    week_of_month: WeekOfMonth | None = strawberry.field(
        description="The week where they meet; null when both run every week. For a new "
        "every-week schedule these are the other schedule's weeks."
    )
    conflicts_with: Schedule

    @classmethod
    def from_result(cls, result: schedules.ConflictingWeek) -> WeekConflict:
        return cls(
            weekday=Weekday(result.weekday),
            week_of_month=None if result.week is None else WeekOfMonth(result.week),
            conflicts_with=Schedule.from_model(result.existing, owner_view=True),
        )


@answers(schedules.SchedulesCreated)
@strawberry.type(description="The schedules created, and the weekdays that conflicted.")
class SchedulesCreated:
    created: list[Schedule]
    conflicts: list[WeekConflict]

    @classmethod
    def from_result(cls, result: schedules.SchedulesCreated) -> SchedulesCreated:
        return cls(
            created=_owned(result.created),
            conflicts=[WeekConflict.from_result(item) for item in result.conflicts],
        )


@answers(schedules.ScheduleConflict, conflicts_with=_owned)
@strawberry.type(description="The edit would make the schedule overlap others of yours.")
class ScheduleConflict(UserError):
    conflicts_with: list[Schedule]


@answers(schedules.ScheduleUpdated)
@strawberry.type
class ScheduleUpdated:
    schedule: Schedule
    notified_appointments: int = strawberry.field(
        description="Patients told by SMS that the time or place of their session changed."
    )

    @classmethod
    def from_result(cls, result: schedules.ScheduleUpdated) -> ScheduleUpdated:
        return cls(
            schedule=Schedule.from_model(result.schedule, owner_view=True),
            notified_appointments=result.notified_appointments,
        )


@answers(schedules.ScheduleDeleted)
@strawberry.type
class ScheduleDeleted:
    id: strawberry.ID
    cancelled_appointments: int = strawberry.field(
        description="Future bookings cancelled (each patient gets an SMS)."
    )

    @classmethod
    def from_result(cls, result: schedules.ScheduleDeleted) -> ScheduleDeleted:
        return cls(
            id=strawberry.ID(str(result.schedule_id)),
            cancelled_appointments=result.cancelled_appointments,
        )


@answers(vacations.VacationSaved, vacation=Vacation.from_model)
@strawberry.type
class VacationSaved:
    vacation: Vacation
    cancelled_appointments: int


@answers(vacations.VacationOverlap, existing=each(Vacation.from_model))
@strawberry.type(description="Another vacation already blocks some of these schedules then.")
class VacationOverlap(UserError):
    existing: list[Vacation]


@answers(vacations.VacationDeleted)
@strawberry.type
class VacationDeleted:
    id: strawberry.ID

    @classmethod
    def from_result(cls, result: vacations.VacationDeleted) -> VacationDeleted:
        return cls(id=strawberry.ID(str(result.vacation_id)))


CreateSchedulesResult = Annotated[
    SchedulesCreated | NotAllowed | ValidationFailed, strawberry.union("CreateSchedulesResult")
]
UpdateScheduleResult = Annotated[
    ScheduleUpdated | ScheduleConflict | NotFound | ValidationFailed,
    strawberry.union("UpdateScheduleResult"),
]
DeleteScheduleResult = Annotated[
    ScheduleDeleted | NotFound, strawberry.union("DeleteScheduleResult")
]
CreateVacationResult = Annotated[
    VacationSaved | VacationOverlap | NotFound | NotAllowed | ValidationFailed,
    strawberry.union("CreateVacationResult"),
]
DeleteVacationResult = Annotated[
    VacationDeleted | NotFound, strawberry.union("DeleteVacationResult")
]
