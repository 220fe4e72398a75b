"""Which listed key derived the manage tokens of bookings still to come: when a key may go."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus
from db.models import Appointment
from resolvers.booking.manage_tokens import deriving_key
from resolvers.platform.keys import Keyring


@dataclass(frozen=True, slots=True)
class TokenUsage:
    # Key id -> bookings whose token the key derived, every listed key, current first.
    by_key: dict[str, int]
    # Random tokens of rows from before derived tokens: valid whatever the keys.
    unbound: int
    # Derived by a key no longer listed: these tokens no longer work.
    orphaned: int


async def upcoming_tokens_by_key(
    *, session: AsyncSession, keyring: Keyring, since: date
) -> TokenUsage:
    """Booked appointments on or after ``since``, by the key that derived their manage token.

    Dropping a key ends the tokens it derived, so a previous key at 0 may go.
    """
    by_key = dict.fromkeys((key.kid for key in keyring.keys), 0)
    unbound = orphaned = 0
    appointments = await session.stream_scalars(
        select(Appointment)
        .where(Appointment.status == AppointmentStatus.BOOKED, Appointment.session_date >= since)
        .order_by(Appointment.id)
        .execution_options(yield_per=1000)
    )
    async for appointment in appointments:
        key = deriving_key(appointment, keyring=keyring)
        if key is not None:
            by_key[key.kid] += 1
        elif appointment.manage_token_salt is None:
            unbound += 1
        else:
            orphaned += 1
    return TokenUsage(by_key=by_key, unbound=unbound, orphaned=orphaned)
