"""Request budgets as GCRA cells in PostgreSQL: one atomic statement charges a request.

A budget of ``requests`` per ``period`` is a token bucket of that size that refills
evenly (the generic cell rate algorithm, as Redis' redis-cell and Stripe use it).
Each key keeps one instant, ``full_at``: its bucket is whole again from then on.
A request costs ``step = period / requests``; it is let through when, after paying,
the bucket would still be no more than ``period`` in debt:

    full_at' = max(full_at, now) + step,  allowed when full_at' <= now + period

A whole bucket so lets ``requests`` through at once, then one every ``step``. The
charge is one INSERT ... ON CONFLICT DO UPDATE ... WHERE: PostgreSQL locks the key's
row and re-reads its newest version, so concurrent requests in any number of workers
each pay against what the others paid and none is lost. A refused request writes
nothing; the same statement reads the key's ``full_at`` as it was, which says when
the next request will fit (the Retry-After).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, DateTime, delete, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from db.models import RequestBudget

PERIOD = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Budget:
    """``requests`` per ``period``, all of them at once if the client has been quiet."""

    requests: int
    period: timedelta = PERIOD

    @property
    def step(self) -> timedelta:
        # Whole microseconds, rounded down, so that ``requests`` steps never exceed the
        # period (7 a minute rounded up would let only 6 through at once).
        return timedelta(microseconds=(self.period // timedelta(microseconds=1)) // self.requests)


@dataclass(frozen=True, slots=True)
class Charged:
    """The request fits its budget."""


@dataclass(frozen=True, slots=True)
class OverBudget:
    """The request does not fit; one will again ``retry_after`` from now."""

    retry_after: timedelta

    @property
    def retry_after_seconds(self) -> int:
        """Whole seconds, rounded up: waiting that long is always enough (and never zero)."""
        return max(1, math.ceil(self.retry_after / timedelta(seconds=1)))


def address_key(address: str) -> str:
    return f"address:{address}"[:100]


def account_key(account_id: int) -> str:
    return f"account:{account_id}"


async def charge(
    *, connection: AsyncConnection, key: str, budget: Budget, now: datetime
) -> Charged | OverBudget:
    """Charge one request to ``key``'s budget, in one statement."""
    step = budget.step
    paid = func.greatest(RequestBudget.full_at, _instant(now)) + step
    charged = (
        insert(RequestBudget)
        .values(key=key, full_at=now + step)
        .on_conflict_do_update(
            index_elements=[RequestBudget.key],
            set_={"full_at": paid},
            where=paid <= _instant(now + budget.period),
        )
        .returning(RequestBudget.full_at)
        .cte("charged")
    )
    # Rows, not entities: whether the charge went through, and the key's instant before it
    # (the outer SELECT sees the statement's snapshot, taken before the INSERT ran).
    statement = select(
        select(charged.c.full_at).scalar_subquery().label("charged"),
        select(RequestBudget.full_at)
        .where(RequestBudget.key == key)
        .scalar_subquery()
        .label("before"),
    )
    row = (await connection.execute(statement)).one()
    if row.charged is not None:
        return Charged()
    if row.before is None:
        # Refused, yet the snapshot had no row: another worker made it concurrently and
        # spent the budget (a budget of one). One step is when the next one may fit.
        return OverBudget(retry_after=step)
    return OverBudget(retry_after=row.before + step - budget.period - now)


def _instant(moment: datetime) -> ColumnElement[datetime]:
    """A bound timestamptz (a bare datetime literal would bind as one without a time zone)."""
    return literal(moment, DateTime(timezone=True))


async def prune(*, connection: AsyncConnection, now: datetime) -> int:
    """Forget whole budgets (``full_at`` passed): a missing row means a whole budget anyway."""
    result = await connection.execute(delete(RequestBudget).where(RequestBudget.full_at <= now))
    return result.rowcount
