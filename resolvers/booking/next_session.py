"""A directory doctor's next OPEN session: SQL's candidates first, the full walk if they run out."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.booking.candidates import Found, NextAsk, next_open_candidates
from resolvers.booking.loaders import SessionFacts, session_facts
from resolvers.booking.sessions import NEXT_AVAILABLE_DAYS, first_open_session
from resolvers.catalogue.loaders import active_schedules
from resolvers.platform.calendar import today_in
from resolvers.platform.loading import SessionLoader


class NextAvailableSessionByDoctorLoader(SessionLoader[NextAsk, Found | None]):
    """A page of doctors' next OPEN sessions: one statement, two more only if some need the walk."""

    async def batch_load_fn(self, keys: list[NextAsk]) -> list[Found | None]:
        async with self.db.use() as session:
            answers = await next_open_candidates(session, keys, days=NEXT_AVAILABLE_DAYS)
            if answers.undecided:
                walked = await walk(session, [keys[index] for index in answers.undecided])
                for index in answers.undecided:
                    answers.found[index] = walked[keys[index]]
        return answers.found


async def walk(session: AsyncSession, asks: list[NextAsk]) -> dict[NextAsk, Found | None]:
    """The calendar's full walk for these doctors, from the facts of 60 days (two statements)."""
    if not asks:
        return {}
    schedules = await active_schedules(session, sorted({ask.doctor_id for ask in asks}))
    starts = {ask: today_in(ZoneInfo(ask.time_zone), ask.now) for ask in asks}
    first, last = min(starts.values()), max(starts.values()) + timedelta(days=NEXT_AVAILABLE_DAYS)
    ids = [schedule.id for ask in asks for schedule in schedules.get(ask.doctor_id, [])]
    facts = await session_facts(session, ids, first, last)
    answers: dict[NextAsk, Found | None] = {}
    for ask in asks:
        start = starts[ask]
        end = start + timedelta(days=NEXT_AVAILABLE_DAYS)
        own = schedules.get(ask.doctor_id, [])
        item = first_open_session(
            [(s, facts.get(s.id, SessionFacts()).within(start, end)) for s in own],
            zone=ZoneInfo(ask.time_zone),
            start=start,
            end=end,
            now=ask.now,
        )
        by_id = {s.id: s for s in own}
        answers[ask] = None if item is None else Found(item, by_id[item.schedule_id])
    return answers
