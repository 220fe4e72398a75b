"""OTP sending budgets per clock hour: per client address, per phone prefix and in all.

SMS pumping sends codes to many numbers, not many codes to one: the per-phone limits
(otp.py) never see it. Each send spends one unit of three hourly budgets, counted in
``otp_send_counts`` by one INSERT ... ON CONFLICT DO UPDATE in the sending transaction,
so they hold across workers and servers. The row locks are taken in one order
(address, prefix, global), so concurrent sends queue rather than deadlock.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import OtpBudgetScope
from db.models import OtpSendCount
from resolvers.platform.addresses import counted_address
from settings import Settings

logger = logging.getLogger("medimyth.otp")

WINDOW = timedelta(hours=1)
# Old windows are deleted when an hour's first code is sent; a day stays for operators.
KEPT_FOR = timedelta(days=1)

_MESSAGES = {
    OtpBudgetScope.ADDRESS: "Too many codes were requested from this network; try again later.",
    OtpBudgetScope.PREFIX: "Too many codes were sent to numbers like this one; try again later.",
    OtpBudgetScope.GLOBAL: "We are sending too many codes right now; try again later.",
}


@dataclass(frozen=True, slots=True)
class Budgets:
    """How many codes one hour allows per scope (from the settings)."""

    per_address: int
    per_prefix: int
    prefix_digits: int
    in_all: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Budgets:
        return cls(
            per_address=settings.otp_sends_per_address_per_hour,
            per_prefix=settings.otp_sends_per_prefix_per_hour,
            prefix_digits=settings.otp_prefix_digits,
            in_all=settings.otp_sends_per_hour,
        )


@dataclass(frozen=True, slots=True)
class Exhausted:
    """A budget refused the send; it frees up when its window ends."""

    scope: OtpBudgetScope
    window_start: datetime
    retry_after: int

    @property
    def message(self) -> str:
        return _MESSAGES[self.scope]


def window_of(now: datetime) -> datetime:
    """The clock hour (UTC) ``now`` falls in."""
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def address_key(client_address: str) -> str:
    """The client as every limit counts it (an IPv6 client as its /64), fit for the key column."""
    return counted_address(client_address)[:64]


def prefix_key(e164: str, *, calling_code: int, digits: int) -> str:
    """``+91`` and the first ``digits`` national digits: one operator's number series."""
    return e164[: 1 + len(str(calling_code)) + digits]


async def spend(
    session: AsyncSession,
    *,
    client_address: str,
    prefix: str,
    now: datetime,
    budgets: Budgets,
) -> Exhausted | None:
    """Count one send in each budget, or name the first exhausted one (the caller rolls back).

    A refused scope is not counted; the scopes before it were, so the caller must roll
    the transaction back: a refused request costs no budget.
    """
    window = window_of(now)
    limits = {
        OtpBudgetScope.ADDRESS: budgets.per_address,
        OtpBudgetScope.PREFIX: budgets.per_prefix,
        OtpBudgetScope.GLOBAL: budgets.in_all,
    }
    keys = {
        OtpBudgetScope.ADDRESS: address_key(client_address),
        OtpBudgetScope.PREFIX: prefix,
        OtpBudgetScope.GLOBAL: "",
    }
    statement = insert(OtpSendCount).values(
        [
            {"scope": scope, "key": keys[scope], "window_start": window, "sends": 1}
            for scope in limits  # rows are locked in this order
        ]
    )
    counted = statement.on_conflict_do_update(
        index_elements=[OtpSendCount.scope, OtpSendCount.key, OtpSendCount.window_start],
        set_={"sends": OtpSendCount.sends + 1},
        where=OtpSendCount.sends
        < case(
            *((OtpSendCount.scope == scope, limit) for scope, limit in limits.items()),
        ),
    ).returning(OtpSendCount.scope, OtpSendCount.sends)
    sends = {row.scope: row.sends for row in (await session.execute(counted)).all()}
    for scope in limits:
        if scope not in sends:
            return Exhausted(
                scope=scope, window_start=window, retry_after=_seconds(window + WINDOW - now)
            )
    if sends[OtpBudgetScope.GLOBAL] == 1:
        await session.execute(
            delete(OtpSendCount).where(OtpSendCount.window_start < window - KEPT_FOR)
        )
    return None


async def note_exhausted(session: AsyncSession, refusal: Exhausted, *, now: datetime) -> None:
    """Log the global budget's first refusal of its hour, once across every worker; commits.

    Runs after the refused transaction rolled back. Only the global budget warns: an
    address or prefix running out is the budget working, the whole service running out
    means real patients are refused and someone should look.
    """
    if refusal.scope is not OtpBudgetScope.GLOBAL:
        return
    first = await session.scalar(
        update(OtpSendCount)
        .where(
            OtpSendCount.scope == OtpBudgetScope.GLOBAL,
            OtpSendCount.key == "",
            OtpSendCount.window_start == refusal.window_start,
            OtpSendCount.exhausted_at.is_(None),
        )
        .values(exhausted_at=now)
        .returning(OtpSendCount.sends)
    )
    await session.commit()
    if first is not None:
        logger.warning(
            "OTP sending budget exhausted: %d codes sent since %s (OTP_SENDS_PER_HOUR); "
            "every code is refused until %s. Possible SMS pumping.",
            first,
            refusal.window_start.isoformat(),
            (refusal.window_start + WINDOW).isoformat(),
            extra={
                "event": "otp_budget_exhausted",
                "sends": first,
                "window_start": refusal.window_start.isoformat(),
            },
        )


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))
