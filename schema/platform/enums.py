"""GraphQL enums and their mapping to stored values."""

from __future__ import annotations

from enum import Enum

import strawberry

from db import enums as db_enums


@strawberry.enum(description="A day of the week.")
class Weekday(Enum):
    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


@strawberry.enum(description="The n-th occurrence of a weekday in its month, or the last one.")
class WeekOfMonth(Enum):
    FIRST = 1
    SECOND = 2
    THIRD = 3
    FOURTH = 4
    FIFTH = 5
    LAST = db_enums.LAST_WEEK


DoctorStatus = strawberry.enum(
    db_enums.DoctorStatus, description="Where a doctor's account stands."
)
AccountRole = strawberry.enum(db_enums.AccountRole, description="What an account may do.")
AppointmentStatus = strawberry.enum(
    db_enums.AppointmentStatus, description="Where an appointment stands."
)
OtpPurpose = strawberry.enum(db_enums.OtpPurpose, description="What a one-time password is for.")
LiveState = strawberry.enum(
    db_enums.LiveState, description="Where a session is on its day: not started, running, ended."
)
