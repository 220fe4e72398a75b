"""How often a password may be tried: throttle guessing, never lock an account's owner out.

OWASP's advice (Authentication Cheat Sheet): a hard lock per account lets anyone lock
out any account they can name, so the only hard lock is on the client address that
fails; per account the limits are delays. Failures are LoginAttempt rows in
PostgreSQL, so every worker counts the same. A limited try is refused before the
password is checked and is not recorded, so waiting always helps. Within
``LOGIN_WINDOW``:

* **address**: 20 failures from one client address, whatever the emails, lock that
  address until the oldest of them is 15 minutes old;
* **email and address**: after 3 failures for one email from one address (since its
  last success there), each further try waits 2 s, doubling per failure, at most
  15 minutes, from that address's latest failure;
* **email, from many addresses**: when 5 or more other addresses failed for the
  email (since its last success), an address that never signed in to it waits 1 s,
  doubling per further address, at most a minute, from the email's latest failure.
  An address that signed in to the email in the last 30 days is never delayed by
  others' failures, and one client alone never delays any other: its failures count
  as one address.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import LoginAttempt
from resolvers.platform.errors import RateLimited

LOGIN_WINDOW = timedelta(minutes=15)
ADDRESS_FAILURE_LIMIT = 20
# Typos are free; a guesser from one address slows down fast.
PAIR_FREE_FAILURES = 3
PAIR_FIRST_DELAY = timedelta(seconds=2)
PAIR_MAX_DELAY = timedelta(minutes=15)
# A guesser with many addresses, against one email: small and capped, because the
# owner on a new address (a phone on another network) shares this delay.
SPREAD_FREE_ADDRESSES = 4
SPREAD_FIRST_DELAY = timedelta(seconds=1)
SPREAD_MAX_DELAY = timedelta(minutes=1)
KNOWN_ADDRESS_PERIOD = timedelta(days=30)

MESSAGE = "Too many failed sign-ins; wait before trying again."


@dataclass(frozen=True, slots=True)
class _Facts:
    pair_failures: int
    pair_latest: datetime | None
    other_addresses: int
    email_latest: datetime | None
    known_address: bool
    address_failures: list[datetime]


async def lock_attempts(session: AsyncSession, *, email: str, client_address: str) -> None:
    """Queue concurrent tries for one email, then for one address, so none slips past a count.

    Always email first, then address: two tries share at most the address lock, so
    they cannot wait for each other in a cycle.
    """
    for key in ("login:" + email, "login-address:" + client_address):
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))


async def login_limit(
    *, session: AsyncSession, email: str, client_address: str, now: datetime
) -> RateLimited | None:
    """RateLimited when this address, or this email tried from here, must wait first."""
    facts = await _facts(session, email=email, client_address=client_address, now=now)
    until: list[datetime] = []
    if len(facts.address_failures) >= ADDRESS_FAILURE_LIMIT:
        until.append(facts.address_failures[ADDRESS_FAILURE_LIMIT - 1] + LOGIN_WINDOW)
    if facts.pair_latest is not None and facts.pair_failures >= PAIR_FREE_FAILURES:
        delay = _doubling(
            PAIR_FIRST_DELAY, facts.pair_failures - PAIR_FREE_FAILURES, PAIR_MAX_DELAY
        )
        until.append(facts.pair_latest + delay)
    spread = facts.other_addresses - SPREAD_FREE_ADDRESSES
    if facts.email_latest is not None and spread > 0 and not facts.known_address:
        until.append(
            facts.email_latest + _doubling(SPREAD_FIRST_DELAY, spread - 1, SPREAD_MAX_DELAY)
        )
    wait = max(until, default=now) - now
    if wait <= timedelta(0):
        return None
    return RateLimited(retry_after=max(1, math.ceil(wait.total_seconds())), message=MESSAGE)


def _doubling(first: timedelta, steps: int, cap: timedelta) -> timedelta:
    # Steps bounded first: 2**steps only matters up to the cap, and must not overflow.
    factor: int = 2 ** min(steps, 32)
    return min(cap, first * factor)


async def _facts(
    session: AsyncSession, *, email: str, client_address: str, now: datetime
) -> _Facts:
    since = now - LOGIN_WINDOW
    here = LoginAttempt.client_ip == client_address
    successes = (
        await session.execute(
            select(
                func.max(LoginAttempt.created_at).filter(LoginAttempt.created_at > since),
                func.max(LoginAttempt.created_at).filter(here, LoginAttempt.created_at > since),
                func.count().filter(here),
            ).where(
                LoginAttempt.email == email,
                LoginAttempt.succeeded,
                LoginAttempt.created_at > now - KNOWN_ADDRESS_PERIOD,
            )
        )
    ).one()
    email_since = max(since, successes[0]) if successes[0] is not None else since
    pair_since = max(since, successes[1]) if successes[1] is not None else since
    after_pair_success = and_(here, LoginAttempt.created_at > pair_since)
    after_email_success = LoginAttempt.created_at > email_since
    failures = (
        await session.execute(
            select(
                func.count().filter(after_pair_success),
                func.max(LoginAttempt.created_at).filter(after_pair_success),
                func.count(LoginAttempt.client_ip.distinct()).filter(
                    LoginAttempt.client_ip != client_address, after_email_success
                ),
                func.max(LoginAttempt.created_at).filter(after_email_success),
            ).where(
                LoginAttempt.email == email,
                ~LoginAttempt.succeeded,
                LoginAttempt.created_at > since,
            )
        )
    ).one()
    by_address = await session.scalars(
        select(LoginAttempt.created_at)
        .where(here, ~LoginAttempt.succeeded, LoginAttempt.created_at > since)
        .order_by(LoginAttempt.created_at.desc())
        .limit(ADDRESS_FAILURE_LIMIT)
    )
    return _Facts(
        pair_failures=failures[0],
        pair_latest=failures[1],
        other_addresses=failures[2],
        email_latest=failures[3],
        known_address=successes[2] > 0,
        address_failures=list(by_address.all()),
    )
