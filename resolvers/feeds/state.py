"""Per-token feed state in PostgreSQL: the hourly request budget, and when the content changed.

Both live in one row per token (``calendar_feed_states``), so they hold across
workers and processes, and cost one upsert and one update per fetch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CalendarFeedState

WINDOW = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class FeedLimited:
    """The token spent its budget for this hour: fetch again after ``retry_after`` seconds."""

    retry_after: int


def window_start(now: datetime) -> datetime:
    """The clock hour ``now`` falls in: budgets are fixed windows, the same for every worker."""
    return now.replace(minute=0, second=0, microsecond=0)


async def spend(
    session: AsyncSession, *, key: str, now: datetime, per_hour: int
) -> FeedLimited | None:
    """Count one fetch of the token; FeedLimited when it is past its hourly budget.

    The upsert locks the token's row until the transaction ends, so concurrent
    fetches of one token count one after another, never both as the last one allowed.
    """
    started = window_start(now)
    statement = insert(CalendarFeedState).values(
        token_digest=key, window_started_at=started, requests=1
    )
    same_window = CalendarFeedState.window_started_at == statement.excluded.window_started_at
    upsert = statement.on_conflict_do_update(
        index_elements=[CalendarFeedState.token_digest],
        set_={
            "requests": case((same_window, CalendarFeedState.requests + 1), else_=1),
            "window_started_at": statement.excluded.window_started_at,
        },
    ).returning(CalendarFeedState.requests)
    spent = (await session.execute(upsert)).scalar_one()
    if spent <= per_hour:
        return None
    return FeedLimited(retry_after=max(1, int((started + WINDOW - now).total_seconds())))


async def content_changed_at(
    session: AsyncSession, *, key: str, etag: str, now: datetime
) -> datetime:
    """When the token's content last changed: now if ``etag`` differs from the last one served.

    (SET reads the row's old values, so the CASE compares with the previous ETag.)
    """
    statement = (
        update(CalendarFeedState)
        .where(CalendarFeedState.token_digest == key)
        .values(
            changed_at=case(
                (CalendarFeedState.etag == etag, CalendarFeedState.changed_at), else_=now
            ),
            etag=etag,
        )
        .returning(CalendarFeedState.changed_at)
        .execution_options(synchronize_session=False)
    )
    changed = (await session.execute(statement)).scalar_one()
    assert changed is not None  # set just now when it was null
    return changed


async def forget(session: AsyncSession, *, key: str) -> None:
    """Drop a token's state (its token was rotated away)."""
    await session.execute(delete(CalendarFeedState).where(CalendarFeedState.token_digest == key))
