"""Key usage: how many upcoming bookings hold a manage token each listed key derived."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Appointment
from resolvers.booking.key_usage import TokenUsage, upcoming_tokens_by_key
from resolvers.booking.manage_tokens import derive_token, hash_token, new_salt
from resolvers.platform.keys import Key, Keyring
from tests.factories import make_appointment, make_doctor, make_schedule

CURRENT = Key.of("c" * 40)
PREVIOUS = Key.of("p" * 40)
DROPPED = Key.of("d" * 40)
NOV_26, DEC_3, DEC_10 = date(2026, 11, 26), date(2026, 12, 3), date(2026, 12, 10)


def derived_by(appointment: Appointment, key: Key) -> None:
    """Give the appointment a manage token derived by ``key``, as booking does."""
    salt = new_salt()
    appointment.manage_token_salt = salt
    token = derive_token(key=key, appointment_id=appointment.id, salt=salt)
    appointment.manage_token_hash = hash_token(token)


async def test_each_listed_key_counts_the_upcoming_bookings_whose_token_it_derived(
    session: AsyncSession,
) -> None:
    # given
    schedule = await make_schedule(session, await make_doctor(session), weekday=3)
    for day, key in [
        (DEC_3, CURRENT),
        (DEC_10, PREVIOUS),
        (DEC_10, PREVIOUS),
        (DEC_3, DROPPED),
        (NOV_26, PREVIOUS),  # its session is over: its token serves nothing any more
    ]:
        derived_by(await make_appointment(session, schedule, day), key)
    await make_appointment(session, schedule, DEC_3)  # a random token of an older row
    await session.commit()
    # when
    counts = await upcoming_tokens_by_key(
        session=session, keyring=Keyring((CURRENT, PREVIOUS)), since=date(2026, 11, 30)
    )
    # then
    assert list(counts.by_key.items()) == [(CURRENT.kid, 1), (PREVIOUS.kid, 2)]
    assert (counts.unbound, counts.orphaned) == (1, 1)


async def test_a_key_no_booking_needs_counts_zero(session: AsyncSession) -> None:
    # when
    counts = await upcoming_tokens_by_key(
        session=session, keyring=Keyring((CURRENT, PREVIOUS)), since=DEC_3
    )
    # then
    assert counts == TokenUsage(by_key={CURRENT.kid: 0, PREVIOUS.kid: 0}, unbound=0, orphaned=0)
