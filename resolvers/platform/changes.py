"""Change notifications: a committed change of a session's live state or queue is announced.

The announcement is a PostgreSQL NOTIFY sent in the changing transaction, so listeners hear
it only if, and just after, the change commits. The payload is only the session's key
(``<schedule id>:<date>``); listeners re-read the state themselves, which keeps patient data
out of the notification channel and lets one notification stand for many changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

CHANNEL = "medimyth_sessions"


@dataclass(frozen=True, slots=True, order=True)
class SessionKey:
    """One session occurrence: a schedule on a date."""

    schedule_id: int
    day: date

    @property
    def payload(self) -> str:
        return f"{self.schedule_id}:{self.day.isoformat()}"

    @classmethod
    def parse(cls, payload: str) -> SessionKey | None:
        """The key a payload names, or None for anything else on the channel."""
        schedule, _, day = payload.partition(":")
        try:
            return cls(int(schedule), date.fromisoformat(day))
        except ValueError:
            return None


async def announce(session: AsyncSession, keys: SessionKey | list[SessionKey]) -> None:
    """NOTIFY every listener of these sessions when the caller's transaction commits.

    PostgreSQL folds identical notifications of one transaction into one, so announcing a
    session twice in a transaction costs nothing more.
    """
    for key in sorted([keys] if isinstance(keys, SessionKey) else set(keys)):
        await session.execute(select(func.pg_notify(CHANNEL, key.payload)))
