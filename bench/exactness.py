"""The searches' SQL candidates against the calendar's full Python walk, for every public doctor.

Run: .venv/bin/python -m bench.exactness [--at ISO-INSTANT ...] (the bench database as in
`make bench`; read only). For each instant it compares, for every active doctor,
nextAvailableSession (SQL candidates, and candidates cut to one date so the fallback
walk runs too) with the full walk, and FindSessions with only bookable sessions with
the full computation, for every category and several windows, two pages deep with
the total count. It prints the comparisons made and every difference; exit 1 on any.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from db.enums import AccountRole, DoctorStatus
from db.models import Account, Category
from db.session import Database
from resolvers.booking import sessions
from resolvers.booking.candidates import NextAsk, next_open_candidates
from resolvers.booking.next_session import walk
from resolvers.booking.sessions import NEXT_AVAILABLE_DAYS, SessionFilter
from resolvers.loaders import Loaders
from resolvers.platform.calendar import Occurrence
from resolvers.platform.pagination import encode_cursor
from settings import Settings

PAGE = 50  # doctors per batch, as a directory page asks


@dataclass
class Report:
    doctors: int = 0
    found: int = 0
    walked: int = 0
    finds: int = 0
    differences: list[str] = field(default_factory=list)


def _key(item: Occurrence | None) -> object:
    return (
        None
        if item is None
        else (
            item.schedule_id,
            item.day,
            item.status,
            item.booked_count,
            item.times.starts_at,
            item.times.closes_at,
        )
    )


async def compare_next(database: Database, now: datetime, report: Report) -> None:
    async with database.session() as session:
        doctors = (
            await session.execute(
                select(Account.id, Account.time_zone)
                .where(Account.role == AccountRole.DOCTOR, Account.status == DoctorStatus.ACTIVE)
                .order_by(Account.id)
            )
        ).all()
    for start in range(0, len(doctors), PAGE):
        page = doctors[start : start + PAGE]
        asks = [NextAsk(doctor_id=d, time_zone=tz, now=now) for d, tz in page]
        request = database.request_session()
        try:
            loaders = Loaders(request)
            new = await loaders.next_available_session_by_doctor.load_many(asks)
            old = await asyncio.gather(
                *(
                    sessions.next_available_session(
                        Loaders(request), doctor_id=ask.doctor_id, time_zone=ask.time_zone, now=now
                    )
                    for ask in asks
                )
            )
            async with request.use() as session:
                # One candidate date only: most doctors then need the fallback walk.
                cut = await next_open_candidates(session, asks, days=NEXT_AVAILABLE_DAYS, dates=1)
                walked = await walk(session, [asks[i] for i in cut.undecided])
        finally:
            await request.close()
        for index, (ask, mine, theirs) in enumerate(zip(asks, new, old, strict=True)):
            report.doctors += 1
            report.found += mine is not None
            short = walked[ask] if index in cut.undecided else cut.found[index]
            report.walked += index in cut.undecided
            expected = _key(theirs)
            for label, got in (("candidates", mine), ("one date + walk", short)):
                if _key(None if got is None else got.occurrence) != expected:
                    report.differences.append(
                        f"{now.isoformat()} doctor {ask.doctor_id} ({label}): "
                        f"{_key(None if got is None else got.occurrence)} != {expected}"
                    )


async def compare_find(database: Database, now: datetime, report: Report) -> None:
    async with database.session() as session:
        categories = list((await session.scalars(select(Category.id).order_by(Category.id))).all())
    today = now.astimezone(UTC).date()
    windows = [(0, 6), (0, 13), (3, 30), (-1, 60)]
    filters = [
        SessionFilter(
            start=today + timedelta(a),
            end=today + timedelta(b),
            category_ids=ids,
            only_bookable=True,
        )
        for a, b in windows
        for ids in [(), *((c,) for c in categories)]
    ]
    for session_filter in filters:
        for first, after in ((20, None), (20, encode_cursor(19)), (100, None)):
            request = database.request_session()
            try:
                async with request.use() as session:
                    new = await sessions.find_bookable_sessions(
                        session=session,
                        session_filter=session_filter,
                        first=first,
                        after=after,
                        now=now,
                        count=True,
                    )
                    schedules = await sessions.searchable_schedules(
                        session=session, session_filter=session_filter
                    )
                old = await sessions.find_sessions(
                    Loaders(request),
                    schedules=schedules,
                    session_filter=session_filter,
                    first=first,
                    after=after,
                    now=now,
                )
            finally:
                await request.close()
            report.finds += 1
            mine = ([_key(f.occurrence) for f in new.items], new.has_next_page, new.total_count)
            theirs = ([_key(o) for o in old.items], old.has_next_page, old.total_count)
            if mine != theirs:
                report.differences.append(
                    f"{now.isoformat()} {session_filter} first {first} after {after}: differs"
                )


async def compare(database: Database, instants: list[datetime]) -> Report:
    report = Report()
    for now in instants:
        await compare_next(database, now, report)
        await compare_find(database, now, report)
    return report


def main() -> None:
    from bench.database import bench_url

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--at", nargs="*", default=[], help="instants (ISO, with offset)")
    args = parser.parse_args()
    now = datetime.now(UTC)
    instants = [datetime.fromisoformat(at) for at in args.at] or [
        now,
        now + timedelta(hours=7, minutes=13),
        now + timedelta(days=2, hours=15),
        now + timedelta(days=9, hours=1, minutes=30),
    ]
    settings = dataclasses.replace(Settings.from_env(), database_url=bench_url())

    async def run() -> Report:
        database = Database(settings)
        try:
            return await compare(database, instants)
        finally:
            await database.dispose()

    report = asyncio.run(run())
    print(
        f"{len(instants)} instants: {report.doctors} doctor answers compared "
        f"({report.found} with a session; {report.walked} also by the fallback walk), "
        f"{report.finds} FindSessions pages compared, {len(report.differences)} differences"
    )
    for line in report.differences[:50]:
        print(line)
    sys.exit(1 if report.differences else 0)


if __name__ == "__main__":
    main()
