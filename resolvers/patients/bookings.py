"""Every booking of one phone, newest session first, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Appointment, Schedule
from resolvers.platform.pagination import Page, decode_cursor, page_size

if TYPE_CHECKING:
    from resolvers.loaders import Loaders


@dataclass(frozen=True, slots=True)
class PhoneBookings:
    """A page of a phone's appointments, with the schedules they were read with."""

    page: Page[Appointment]
    schedules: list[Schedule]

    def prime_loaders(self, loaders: Loaders) -> None:
        """Each appointment's schedule is at hand: its session and doctor need no read of it."""
        for schedule in self.schedules:
            loaders.schedule_by_id.prime(schedule.id, schedule)


async def my_bookings(
    *, session: AsyncSession, phone: str, first: int | None, after: str | None
) -> PhoneBookings:
    """The phone's appointments (any status), by session date, start time and id, newest first.

    One statement for the page and the total (a window count over the same rows); a
    page past the end reads the total on its own.
    """
    limit = page_size(first)
    offset = decode_cursor(after)
    rows = (
        await session.execute(
            select(Appointment, Schedule, func.count().over().label("total"))
            .join(Schedule, Schedule.id == Appointment.schedule_id)
            .where(Appointment.patient_phone == phone)
            .order_by(
                Appointment.session_date.desc(), Schedule.start_time.desc(), Appointment.id.desc()
            )
            .offset(offset)
            .limit(limit + 1)
        )
    ).all()
    if rows:
        total = int(rows[0].total)
    else:
        total = (
            await session.scalar(
                select(func.count())
                .select_from(Appointment)
                .where(Appointment.patient_phone == phone)
            )
            or 0
        )
    items = [row[0] for row in rows[:limit]]
    schedules = list({row[1].id: row[1] for row in rows[:limit]}.values())
    return PhoneBookings(
        page=Page(items=items, offset=offset, has_next_page=len(rows) > limit, total_count=total),
        schedules=schedules,
    )
