"""A doctor's standing: what a suspended doctor may not do, and the per-doctor lock.

Suspension. A SUSPENDED doctor may sign in and read their own account (``me``, with
its schedules, vacations and session counts) and change their password; nothing
else: no patient data, no changes. The GraphQL context refuses them first
(``Context.require_doctor``); the resolvers that change a doctor's data check again
under the lock below, so a suspension that commits while a request is in flight
still wins.

The lock order. Every transaction that locks rows of one doctor takes them in this
order, and none takes an earlier kind while holding a later one:

1. the doctor's account row, ``FOR NO KEY UPDATE`` (``lock_doctor``): a per-doctor
   mutex taken first by every change a doctor makes (schedules, vacations, their
   patients' appointments). Changes of one doctor run one at a time; changes of
   different doctors never wait for each other. An admin's suspension
   (``FOR UPDATE`` of the same row) waits for a change in flight, and the next
   change reads SUSPENDED under the lock;
2. the doctor's schedule rows, ``FOR NO KEY UPDATE``, in id order;
3. appointment rows, ``FOR UPDATE``, by (session date, schedule id, queue number);
4. seat counters (``session_seats``), by (schedule id, session date).

The public's side takes no account lock: a booking holds one schedule row
``FOR SHARE`` (other bookings share it; a doctor's change waits for it), then its
one-time code and its seat counter, and a patient's own cancellation holds its
appointment, then its seat counter. Neither waits for an earlier kind while holding
a later one, so neither can close a cycle with a doctor's change.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import DoctorStatus
from db.models import Account
from resolvers.platform.errors import Forbidden

SUSPENDED_MESSAGE = (
    "Your account is suspended: you can sign in and see your account, and change your "
    "password, but nothing else until an administrator reactivates it."
)


def refuse_suspended(doctor: Account) -> None:
    """Raise FORBIDDEN for a suspended doctor (a read with patient data, or any change)."""
    if doctor.status is DoctorStatus.SUSPENDED:
        raise Forbidden(SUSPENDED_MESSAGE)


async def lock_doctor(session: AsyncSession, doctor: Account) -> DoctorStatus:
    """Take the doctor's mutex (step 1 of the lock order) and return their status as of now.

    Raises FORBIDDEN when the doctor is suspended, read under the lock: a suspension
    committed after the request's own read of the account still refuses the change.
    The lock lasts until the transaction ends.
    """
    status = await session.scalar(
        select(Account.status).where(Account.id == doctor.id).with_for_update(key_share=True)
    )
    if status is None:  # accounts are never deleted; a token cannot outlive its account
        raise Forbidden("This account no longer exists.")
    if status is DoctorStatus.SUSPENDED:
        raise Forbidden(SUSPENDED_MESSAGE)
    return status
