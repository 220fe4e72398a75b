"""Rotating a doctor's feed: a new random token at once; the old URL answers 404 from then on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AuditAction, AuditTargetKind
from db.models import Account
from resolvers.accounts.standing import lock_doctor
from resolvers.audit.trail import record
from resolvers.feeds import links, state, tokens
from resolvers.platform.audit import Actor


@dataclass(frozen=True, slots=True)
class CalendarFeedRotated:
    calendar_feed_url: str


RotateResult = CalendarFeedRotated


async def rotate_calendar_feed(
    *, session: AsyncSession, doctor: Account, base_url: str, actor: Actor, now: datetime
) -> RotateResult:
    """Replace the doctor's feed token (under the doctor's lock, like every change they make).

    Audited, without either token: the trail says that the URL changed, never what it is.
    """
    await lock_doctor(session, doctor)
    old = doctor.calendar_feed_token
    token = tokens.new_token()
    # The account is the request's own (the viewer), loaded in this session.
    doctor.calendar_feed_token = token
    doctor.updated_at = now
    await state.forget(session, key=tokens.digest("doctor", old))
    record(
        session,
        actor=actor,
        action=AuditAction.CALENDAR_FEED_ROTATED,
        now=now,
        target_kind=AuditTargetKind.ACCOUNT,
        target_id=doctor.id,
    )
    await session.commit()
    return CalendarFeedRotated(
        calendar_feed_url=links.doctor_feed_url(base_url=base_url, token=token)
    )
