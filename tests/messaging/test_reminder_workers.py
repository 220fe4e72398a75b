"""Real `manage.py worker` processes and a real SMS gateway: reminders are never lost or doubled.

A worker SIGKILLed in the middle of a batch has committed what it sent and left the rest
for the next; two workers at once over the same due reminders each queue and send
different ones. The workers run on the real clock, so the sessions here start a few
hours from now (their reminders are due: the evening before has passed).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import NotificationStatus
from db.models import Appointment, Notification
from db.session import Database
from settings import Settings
from tests.factories import make_appointment, make_doctor, make_schedule
from tests.messaging.gateway import Gateway

ROOT = Path(__file__).resolve().parents[2]
ZONE = ZoneInfo("America/New_York")


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    gateway = Gateway()
    await gateway.start()
    yield gateway
    await gateway.stop()


async def due_bookings(session: AsyncSession, count: int) -> list[int]:
    """``count`` BOOKED appointments of a session three hours from now (real time)."""
    starts = (datetime.now(UTC) + timedelta(hours=3)).astimezone(ZONE).replace(second=0)
    doctor = await make_doctor(session, time_zone=ZONE.key)
    schedule = await make_schedule(
        session,
        doctor,
        weekday=starts.weekday(),
        start_time=starts.time().replace(tzinfo=None, microsecond=0),
        end_time=None,
        patient_limit=None,
    )
    booked = [await make_appointment(session, schedule, starts.date()) for _ in range(count)]
    await session.commit()
    return [appointment.id for appointment in booked]


def start_worker(
    settings: Settings, gateway: Gateway, log: Path, *args: str
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    env.update(
        DATABASE_URL=str(settings.database_url),
        NOTIFICATION_SENDER="webhook",
        NOTIFICATION_WEBHOOK_URL=gateway.url,
        NOTIFICATION_POLL_SECONDS="1",
        LOG_LEVEL="INFO",
    )
    with log.open("ab") as stderr:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "manage.py", "worker", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


async def both_waiting(session: AsyncSession) -> None:
    """Until two backends of this database wait for a lock (the two workers' first scans)."""
    async with asyncio.timeout(120):
        while True:
            waiting = await session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            await session.commit()
            if waiting == 2:
                return
            await asyncio.sleep(0.1)


async def outbox(session: AsyncSession) -> list[tuple[int, int, NotificationStatus, int]]:
    """(id, appointment, status, attempts) of every reminder, in the order they are sent."""
    rows = await session.execute(
        select(
            Notification.id,
            Notification.appointment_id,
            Notification.status,
            Notification.attempts,
        )
        .where(Notification.dedup_key.like("reminder:%"))
        .order_by(Notification.id)
    )
    return [
        (id_, appointment or 0, status, attempts) for id_, appointment, status, attempts in rows
    ]


@pytest.mark.slow
async def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    session: AsyncSession, settings: Settings, gateway: Gateway, tmp_path: Path
) -> None:
    # given ten due reminders and a slow gateway that never answers the fourth request
    booked = await due_bookings(session, 10)
    gateway.delay = 0.2
    gateway.hold_request = 4
    log = tmp_path / "workers.log"
    # when a worker is SIGKILLed while the fourth message is in flight
    killed = start_worker(settings, gateway, log)
    try:
        await asyncio.wait_for(gateway.held.wait(), timeout=90)
    finally:
        killed.send_signal(signal.SIGKILL)
        await asyncio.to_thread(killed.wait, 30)
    in_flight = gateway.received[3]
    at_the_kill = await outbox(session)
    # and another worker runs until nothing is due
    gateway.hold_request = None
    restarted = start_worker(settings, gateway, log, "--once")
    code = await asyncio.to_thread(restarted.wait, 120)
    # then the killed worker had queued all ten and committed the three it had sent
    assert code == 0, log.read_text()
    assert [status for _, _, status, _ in at_the_kill] == (
        [NotificationStatus.SENT] * 3 + [NotificationStatus.PENDING] * 7
    )
    assert gateway.ids()[:3] == [id_ for id_, _, _, _ in at_the_kill[:3]]
    # and every reminder arrived; the one in flight at the kill is the only one that
    # arrived twice, with the same idempotency key both times (a provider drops the copy)
    reminders = await outbox(session)
    assert sorted(appointment for _, appointment, _, _ in reminders) == booked
    assert [(status, attempts) for _, _, status, attempts in reminders] == [
        (NotificationStatus.SENT, 1)
    ] * 10
    assert set(gateway.ids()) == {id_ for id_, _, _, _ in reminders}
    assert gateway.repeated() == {in_flight.id: 2}
    assert {item.idempotency_key for item in gateway.received if item.id == in_flight.id} == {
        f"notification-{in_flight.id}"
    }
    assert len(gateway.received) == 11


@pytest.mark.slow
async def test_two_workers_at_once_queue_and_send_each_reminder_once(
    session: AsyncSession,
    database: Database,
    settings: Settings,
    gateway: Gateway,
    tmp_path: Path,
) -> None:
    # given thirty due reminders, none queued yet, and a gateway that answers its first
    # request only once a second one is open beside it (so the workers surely overlap)
    booked = await due_bookings(session, 30)
    gateway.delay = 0.1
    gateway.wait_for_company = True
    log = tmp_path / "workers.log"
    # when two workers start, wait at the same lock until both are up, and run until
    # nothing is due (a worker slow to start on a busy machine would otherwise find
    # the other one done)
    async with database.session() as gate:
        await gate.execute(text("LOCK TABLE appointments IN ACCESS EXCLUSIVE MODE"))
        pair = [start_worker(settings, gateway, log, "--once") for _ in range(2)]
        await both_waiting(session)
        await gate.commit()
    codes = [await asyncio.to_thread(worker.wait, 180) for worker in pair]
    # then (both scanned at once, released by one lock) each reminder was queued once and
    # arrived once; whether their sends also overlapped depends on which one committed its
    # queue first, so it is not asserted
    assert codes == [0, 0], log.read_text()
    reminders = await outbox(session)
    assert sorted(appointment for _, appointment, _, _ in reminders) == booked
    errors = (await session.scalars(select(Notification.last_error).distinct())).all()
    assert [(status, attempts) for _, _, status, attempts in reminders] == [
        (NotificationStatus.SENT, 1)
    ] * 30, (errors, log.read_text())
    assert gateway.repeated() == {}
    assert len(gateway.received) == 30
    phones = set((await session.scalars(select(Appointment.patient_phone))).all())
    assert {item.recipient for item in gateway.received} == phones
