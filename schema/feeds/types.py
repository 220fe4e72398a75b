"""Calendar link fields other domains' types carry: a doctor's feed URL, a booking's .ics."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import strawberry

from db.enums import AccountRole
from resolvers.feeds import links
from resolvers.platform.errors import Forbidden
from schema.platform.context import Info
from schema.platform.links import public_base_url


class _Owned(Protocol):
    id: strawberry.ID


async def calendar_feed_url(self: _Owned, info: Info) -> str | None:
    """``Account.calendarFeedUrl``: the doctor's own private feed, to nobody else (admins too)."""
    viewer = await info.context.require_account()
    if viewer.role is not AccountRole.DOCTOR or str(viewer.id) != str(self.id):
        raise Forbidden("Only the doctor can see their own calendar feed.")
    return links.doctor_feed_url(base_url=public_base_url(info), token=viewer.calendar_feed_token)


class _Booked(Protocol):
    id: strawberry.ID
    public_id: str
    created_at: datetime


def appointment_calendar_url(self: _Booked, info: Info) -> str:
    """``Appointment.calendarUrl``: signed, so it needs no token and nothing stored."""
    return links.appointment_calendar_url(
        base_url=public_base_url(info),
        key=info.context.keyring.current,
        appointment_id=int(self.id),
        public_id=self.public_id,
        created_at=self.created_at,
    )
