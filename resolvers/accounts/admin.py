"""What admins do with doctors: review the pending queue, activate, suspend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AccountRole, AuditAction, AuditTargetKind, DoctorStatus, NotificationChannel
from db.models import Account, doctor_public_number_seq
from resolvers.audit.trail import record, safe_text
from resolvers.platform.audit import Actor
from resolvers.platform.errors import NotFound
from resolvers.platform.outbox import enqueue, enqueue_webhook_events
from resolvers.platform.pagination import Page, decode_cursor, page_size
from resolvers.platform.webhook_events import doctor_activated

MAX_REASON_LENGTH = 1000
_NO_SUCH_DOCTOR = NotFound("There is no doctor with this id.")


@dataclass(frozen=True, slots=True)
class DoctorStatusChanged:
    account: Account


async def list_pending_doctors(
    *, session: AsyncSession, first: int | None, after: str | None
) -> Page[Account]:
    """Doctors waiting for activation, oldest first: the order an admin should review them."""
    limit = page_size(first)
    offset = decode_cursor(after)
    pending = (Account.role == AccountRole.DOCTOR) & (
        Account.status == DoctorStatus.PENDING_ACTIVATION
    )
    total = await session.scalar(select(func.count()).select_from(Account).where(pending)) or 0
    doctors = (
        await session.scalars(
            select(Account)
            .where(pending)
            .order_by(Account.created_at, Account.id)
            .offset(offset)
            .limit(limit + 1)
        )
    ).all()
    return Page(
        items=doctors[:limit], offset=offset, has_next_page=len(doctors) > limit, total_count=total
    )


async def activate_doctor(
    *, session: AsyncSession, doctor_id: int, actor: Actor, now: datetime
) -> DoctorStatusChanged | NotFound:
    """Make a doctor public; the first activation gives them MMD-<n> for good. Commits.

    Audited when the status changes (a repeat changes nothing and records nothing).
    """
    doctor = await _lock_doctor(session, doctor_id)
    if doctor is None:
        return _NO_SUCH_DOCTOR
    if doctor.status is DoctorStatus.ACTIVE:
        # Nothing changed: end the transaction (and the row lock) with a commit, because a
        # rollback would expire the doctor and the answer would read it outside any session.
        await session.commit()
        return DoctorStatusChanged(doctor)
    if doctor.public_number is None:
        # From the sequence: a number handed out is never handed out again, and a
        # suspended doctor who comes back keeps theirs.
        doctor.public_number = await session.scalar(select(doctor_public_number_seq.next_value()))
        doctor.activated_at = now
    record(
        session,
        actor=actor,
        action=AuditAction.DOCTOR_ACTIVATED,
        now=now,
        target_kind=AuditTargetKind.ACCOUNT,
        target_id=doctor.id,
        details={"from": doctor.status.value, "publicId": doctor.public_id},
    )
    doctor.status = DoctorStatus.ACTIVE
    doctor.updated_at = now
    enqueue(
        session,
        channel=NotificationChannel.EMAIL,
        recipient=doctor.email,
        subject="Your MediMyth profile is live",
        body=(
            f"Dear {doctor.name}, your profile is now public as {doctor.public_id}."
            " Patients can find you and book your sessions."
        ),
        now=now,
    )
    await enqueue_webhook_events(session, [doctor_activated(doctor)], now=now)
    await session.commit()
    return DoctorStatusChanged(doctor)


async def suspend_doctor(
    *, session: AsyncSession, doctor_id: int, reason: str | None, actor: Actor, now: datetime
) -> DoctorStatusChanged | NotFound:
    """Hide a doctor from the public and tell them why by email. Commits; audited as above."""
    doctor = await _lock_doctor(session, doctor_id)
    if doctor is None:
        return _NO_SUCH_DOCTOR
    if doctor.status is DoctorStatus.SUSPENDED:
        await session.commit()  # as in activate_doctor: keep the doctor loaded
        return DoctorStatusChanged(doctor)
    why = (reason or "").strip()[:MAX_REASON_LENGTH]
    record(
        session,
        actor=actor,
        action=AuditAction.DOCTOR_SUSPENDED,
        now=now,
        target_kind=AuditTargetKind.ACCOUNT,
        target_id=doctor.id,
        details={"from": doctor.status.value, "reason": safe_text(why)},
    )
    doctor.status = DoctorStatus.SUSPENDED
    doctor.updated_at = now
    enqueue(
        session,
        channel=NotificationChannel.EMAIL,
        recipient=doctor.email,
        subject="Your MediMyth profile is suspended",
        body=(
            f"Dear {doctor.name}, an administrator suspended your MediMyth profile;"
            " patients can no longer find you or book your sessions."
            + (f" Reason: {why}" if why else "")
        ),
        now=now,
    )
    await session.commit()
    return DoctorStatusChanged(doctor)


async def _lock_doctor(session: AsyncSession, doctor_id: int) -> Account | None:
    return await session.scalar(
        select(Account)
        .where(Account.id == doctor_id, Account.role == AccountRole.DOCTOR)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
