"""MediMyth's command line: run, migrate, seed, create-admin, keys, worker, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from settings import Settings

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent


def database_url() -> str:
    """DATABASE_URL when set; otherwise the embedded PostgreSQL under .data/ (started if needed)."""
    from db import embedded
    from settings import Settings

    settings = Settings.from_env()
    if settings.database_url is not None:
        return settings.database_url
    url = embedded.start(embedded.default_data_dir(ROOT), database="medimyth")
    os.environ["DATABASE_URL"] = url
    return url


def describe(url: str) -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.query.get("host") and not parsed.host:
        return f"embedded PostgreSQL (data in .data/postgres), database {parsed.database}"
    return parsed.render_as_string(hide_password=True)


def migrate(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    command.upgrade(config, "head")


def _small_pool(url: str, size: int) -> Settings:
    """The environment's settings (DB_POOL_MODE above all: behind a transaction pooler named
    prepared statements break) with url and a pool sized for one command."""
    import dataclasses

    from settings import Settings

    return dataclasses.replace(
        Settings.from_env(), database_url=url, db_pool_size=size, db_max_overflow=0
    )


async def _with_session(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    import dataclasses

    from db.session import Database

    # Commands run no request: seeding the bench dataset COPYs 200,000 rows at once,
    # longer than a request's statement time limit should ever allow.
    database = Database(dataclasses.replace(_small_pool(url, 1), db_statement_timeout_ms=0))
    try:
        async with database.session() as session:
            return await work(session)
    finally:
        await database.dispose()


def seed(url: str, *, only_if_empty: bool, size: str = "demo") -> bool:
    """Demo data (a first look) or the bench dataset (performance work); False when skipped."""
    from db import seed as demo
    from resolvers.accounts.passwords import hash_password
    from settings import Settings

    settings = Settings.from_env()
    zone = ZoneInfo(settings.default_time_zone)

    async def work(session: AsyncSession) -> bool:
        empty = await demo.is_empty(session)
        if only_if_empty and not empty:
            return False
        if size == "bench":
            if not empty:
                print("the bench dataset needs an empty database", file=sys.stderr)
                return False
            await _seed_bench(session, password_hash=hash_password(DEMO_PASSWORD), zone=zone)
            return True
        counts = await demo.seed_demo(
            session,
            password_hash=hash_password(DEMO_PASSWORD),
            time_zone=settings.default_time_zone,
            today=datetime.now(zone).date(),
        )
        await session.commit()
        print("seeded demo data: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
        print(
            "demo doctors log in as asha.rao@demo.medimyth.test (and others)"
            f" with the password {DEMO_PASSWORD!r}"
        )
        return True

    return asyncio.run(_with_session(url, work))


async def _seed_bench(session: AsyncSession, *, password_hash: str, zone: ZoneInfo) -> None:
    """The bench dataset (db/seed_bench.py) in one transaction, with a progress bar."""
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
    from sqlalchemy import text

    from db import seed_bench

    started = time.perf_counter()
    columns = ("{task.description:<20}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns) as progress:
        task = progress.add_task("planning rows", total=None)
        bench = seed_bench.plan(now=datetime.now(zone), zone=zone)
        progress.update(task, description="writing", total=seed_bench.total_rows(bench))

        def advance(table: str, rows: int) -> None:
            progress.update(task, description=table, advance=rows)

        counts = await seed_bench.write(
            session, bench, password_hash=password_hash, time_zone=zone.key, progress=advance
        )
        progress.update(task, description="commit and analyze")
        await session.commit()
        # Fresh statistics, so the first benchmark runs with the plans production would get.
        await session.execute(text("ANALYZE"))
        await session.commit()
    seconds = time.perf_counter() - started
    print(
        "seeded bench data: "
        + ", ".join(f"{n:,} {what}" for what, n in counts.items())
        + f" in {seconds:.1f} s"
    )
    print(f"bench doctors log in as bench.doctor0@bench.medimyth.test (0..{counts['doctors'] - 1})")


DEMO_PASSWORD = "demo password 1"


def create_admin(url: str, *, email: str, password: str, name: str) -> int:
    from sqlalchemy import func, select

    from db.enums import AccountRole, AuditAction, AuditTargetKind, DoctorStatus
    from db.models import Account
    from resolvers.accounts.passwords import hash_password
    from resolvers.audit.trail import record
    from resolvers.platform.audit import Actor
    from resolvers.platform.clock import SystemClock
    from settings import Settings

    if len(password) < 10:
        print("the password must have at least 10 characters", file=sys.stderr)
        return 2
    settings = Settings.from_env()

    async def work(session: AsyncSession) -> int:
        clean_email = email.strip().lower()
        exists = await session.scalar(
            select(Account.id).where(func.lower(Account.email) == clean_email)
        )
        if exists is not None:
            print(f"an account with email {clean_email} already exists", file=sys.stderr)
            return 1
        admin = Account(
            role=AccountRole.ADMIN,
            status=DoctorStatus.ACTIVE,
            email=clean_email,
            password_hash=hash_password(password),
            name=name,
            time_zone=settings.default_time_zone,
        )
        session.add(admin)
        await session.flush()
        # Admins are made here only, by whoever runs the command: the trail says so.
        record(
            session,
            actor=Actor.system(),
            action=AuditAction.ADMIN_CREATED,
            now=SystemClock().now(),
            target_kind=AuditTargetKind.ACCOUNT,
            target_id=admin.id,
        )
        await session.commit()
        print(f"admin {clean_email} created")
        return 0

    return asyncio.run(_with_session(url, work))


def keys(url: str) -> int:
    """The keys SECRET_KEY and SECRET_KEY_PREVIOUS list, and the bookings each one serves."""
    from datetime import UTC, timedelta

    from resolvers.booking.key_usage import TokenUsage, upcoming_tokens_by_key
    from resolvers.platform.keys import keyring_of
    from settings import Settings

    keyring = keyring_of(Settings.from_env())
    # Yesterday in UTC: the earliest date that is still today in some time zone.
    since = datetime.now(UTC).date() - timedelta(days=1)

    async def work(session: AsyncSession) -> TokenUsage:
        return await upcoming_tokens_by_key(session=session, keyring=keyring, since=since)

    usage = asyncio.run(_with_session(url, work))
    for position, key in enumerate(keyring.keys):
        role = "SECRET_KEY, current" if position == 0 else f"SECRET_KEY_PREVIOUS {position}"
        print(f"key {key.kid} ({role}): manage tokens of {usage.by_key[key.kid]} upcoming bookings")
    print(f"no key (older random tokens, still valid): {usage.unbound} upcoming bookings")
    print(f"a key no longer listed (no longer valid): {usage.orphaned} upcoming bookings")
    print(
        "a previous key may go once it serves no upcoming booking and every access token"
        " it signed has expired (ACCESS_TOKEN_TTL_MINUTES after it stopped being current)"
    )
    return 0


def worker(*, once: bool) -> int:
    """Deliver the notification outbox until SIGTERM/Ctrl-C (or, with --once, until it is empty)."""
    import logging

    from db.session import Database
    from resolvers.messaging.delivery import run_worker
    from resolvers.messaging.senders import WebhookSender, sender_from_settings
    from resolvers.platform.clock import SystemClock
    from resolvers.webhooks.delivery import Dispatcher
    from settings import Settings

    url = database_url()
    settings = Settings.from_env()
    from app.logs import configure_logging

    configure_logging(settings)
    sender = sender_from_settings(settings)
    logging.getLogger("medimyth.worker").info(
        "notification worker started: sender=%s", settings.notification_sender.value
    )

    async def work() -> None:
        database = Database(_small_pool(url, 2))
        webhooks = Dispatcher(settings=settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            await run_worker(
                database=database,
                sender=sender,
                clock=SystemClock(),
                poll_seconds=settings.notification_poll_seconds,
                stop=stop,
                once=once,
                webhooks=webhooks,
            )
        finally:
            await webhooks.close()
            if isinstance(sender, WebhookSender):
                await sender.close()
            await database.dispose()

    asyncio.run(work())
    return 0


def export_schema(path: Path) -> None:
    from schema import schema

    path.write_text(schema.as_str() + "\n")
    print(f"wrote {path}")


def run(*, bind: str, workers: int | None) -> int:
    """Development server: database ready, migrated, seeded when empty, then gunicorn."""
    url = database_url()
    migrate(url)
    seed(url, only_if_empty=True)
    env = dict(os.environ, DATABASE_URL=url, BIND=bind)
    if workers is not None:
        env["WEB_CONCURRENCY"] = str(workers)
    host = bind if not bind.startswith("0.0.0.0") else bind.replace("0.0.0.0", "127.0.0.1")
    from settings import NotificationSender, Settings

    settings = Settings.from_env()
    if settings.notification_sender is NotificationSender.LOG:
        otp_codes = "printed in this log by the outbox worker (look for 'is your MediMyth code')"
    else:
        otp_codes = f"posted to {settings.notification_webhook_url} by the outbox worker"
    print(
        "\n"
        f"  MediMyth is starting on http://{host}\n"
        f"  GraphiQL:   http://{host}/graphql\n"
        f"  Health:     http://{host}/healthz and /readyz\n"
        f"  Database:   {describe(url)}\n"
        f"  OTP codes:  {otp_codes}\n"
        "  Stop with Ctrl-C.\n",
        flush=True,
    )
    # Each child in a process group of its own, so Ctrl-C reaches this process only and
    # is passed on as one SIGTERM: gunicorn's graceful stop. Otherwise every process got
    # the terminal's SIGINT as well, and gunicorn logged a warning for each of its
    # workers (a worker stopped by SIGINT is one it did not stop).
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "app:app", "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            process_group=0,
        ),
        # The outbox worker: delivers OTP codes and other messages (to this log by default).
        subprocess.Popen(
            [sys.executable, "manage.py", "worker"], cwd=ROOT, env=env, process_group=0
        ),
    ]
    return _supervise(processes)


def _supervise(processes: Sequence[subprocess.Popen[bytes]]) -> int:
    """Wait for the children; pass Ctrl-C, SIGTERM and SIGHUP on as a graceful stop.

    A second Ctrl-C is passed on as SIGINT: gunicorn's quick stop, for the impatient.
    """
    stops = 0

    def forward(signum: int, _frame: object) -> None:
        nonlocal stops
        stops += 1
        sent = signal.SIGINT if signum == signal.SIGINT and stops > 1 else signal.SIGTERM
        for process in processes:
            if process.poll() is None:
                process.send_signal(sent)

    # SIGHUP too: the children no longer share the terminal's process group, so a
    # closed terminal would otherwise leave them running.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, forward)
    codes = [process.wait() for process in processes]
    return max(codes, default=0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="manage.py", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run_parser = commands.add_parser(
        "run", help="migrate, seed when empty, and serve (development)"
    )
    run_parser.add_argument("--bind", default="127.0.0.1:8000")
    run_parser.add_argument("--workers", type=int, default=None)

    commands.add_parser("migrate", help="alembic upgrade head")

    seed_parser = commands.add_parser("seed", help="insert demo or benchmark data")
    seed_parser.add_argument(
        "--if-empty", action="store_true", help="only when the database is empty"
    )
    seed_parser.add_argument(
        "--size",
        choices=("demo", "bench"),
        default="demo",
        help="demo: a first look (default); bench: 2,000 doctors and 200,000 appointments",
    )

    admin_parser = commands.add_parser("create-admin", help="create an admin account")
    admin_parser.add_argument("--email", required=True)
    admin_parser.add_argument("--password", required=True)
    admin_parser.add_argument("--name", default="Administrator")

    worker_parser = commands.add_parser("worker", help="deliver the notification outbox")
    worker_parser.add_argument(
        "--once", action="store_true", help="deliver what is due now, then exit"
    )

    commands.add_parser(
        "keys", help="list the signing keys and the upcoming bookings each one's tokens serve"
    )

    export_parser = commands.add_parser("export-schema", help="write the GraphQL SDL")
    export_parser.add_argument("path", nargs="?", default=str(ROOT / "schema.graphql"))

    args = parser.parse_args(argv)
    if args.command == "run":
        return run(bind=args.bind, workers=args.workers)
    if args.command == "export-schema":
        export_schema(Path(args.path))
        return 0
    if args.command == "worker":
        return worker(once=args.once)
    url = database_url()
    if args.command == "migrate":
        migrate(url)
        return 0
    if args.command == "seed":
        if not seed(url, only_if_empty=args.if_empty, size=args.size):
            print("the database already has data; nothing seeded")
        return 0
    if args.command == "keys":
        return keys(url)
    # The only command left is create-admin (subparsers reject unknown ones).
    return create_admin(url, email=args.email, password=args.password, name=args.name)


if __name__ == "__main__":
    sys.exit(main())
