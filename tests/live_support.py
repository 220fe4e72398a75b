"""Test helpers for the session day: the frontend's live operations, a session on its day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from graphql import DocumentNode, OperationDefinitionNode, parse, print_ast
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Account, Appointment, Schedule
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.accounts_support import token_for
from tests.conftest import GraphQLClient
from tests.factories import make_doctor, make_schedule
from tests.operations import OPERATIONS_DIR, operation

# Thursday 3 December 2026: the factories' schedules (weekday 3, 18:00-20:00 Asia/Kolkata).
DAY = date(2026, 12, 3)
# 18:00 in Kolkata on DAY: the session's start.
STARTS = datetime(2026, 12, 3, 12, 30, tzinfo=UTC)


@cache
def _live_operations() -> dict[str, str]:
    document = parse((OPERATIONS_DIR / "live" / "live.graphql").read_text())
    return {
        definition.name.value: print_ast(DocumentNode(definitions=(definition,)))
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode) and definition.name is not None
    }


def live_operation(name: str) -> str:
    """One of the frontend's session-day operations, exactly as it sends it."""
    return _live_operations()[name]


@dataclass
class Desk:
    """The doctor at the chamber: sends the frontend's session-day mutations for one session."""

    gql: GraphQLClient
    doctor: Account
    schedule: Schedule
    settings: Settings
    clock: FixedClock
    day: date = DAY

    async def send(self, name: str, **variables: Any) -> dict[str, Any]:
        """The operation's whole response; a fresh token each time, as the clock moves."""
        token = token_for(self.doctor, settings=self.settings, clock=self.clock)
        sent = {"scheduleId": str(self.schedule.id), "date": self.day.isoformat()} | variables
        return await self.gql(live_operation(name), sent, token=token)

    async def do(self, name: str, **variables: Any) -> dict[str, Any]:
        """The mutation's result (its root field), which must have answered without errors."""
        body = await self.send(name, **variables)
        assert "errors" not in body, body
        field = name[0].lower() + name[1:]
        result: dict[str, Any] = body["data"][field]
        return result

    async def walk_in(
        self, name: str, *, age: int = 40, phone: str | None = None
    ) -> dict[str, Any]:
        token = token_for(self.doctor, settings=self.settings, clock=self.clock)
        walk_in = {
            "scheduleId": str(self.schedule.id),
            "date": self.day.isoformat(),
            "patientName": name,
            "patientAge": age,
            "patientPhone": phone,
        }
        body = await self.gql(live_operation("AddWalkIn"), {"input": walk_in}, token=token)
        assert "errors" not in body, body
        result: dict[str, Any] = body["data"]["addWalkIn"]
        return result

    async def set_status(self, appointment: Appointment, status: str) -> str:
        token = token_for(self.doctor, settings=self.settings, clock=self.clock)
        body = await self.gql(
            operation("SetAppointmentStatus"),
            {"id": str(appointment.id), "status": status},
            token=token,
        )
        typename: str = body["data"]["setAppointmentStatus"]["__typename"]
        return typename


async def open_desk(
    gql: GraphQLClient,
    session: AsyncSession,
    *,
    settings: Settings,
    clock: FixedClock,
    **schedule: Any,
) -> Desk:
    """A doctor with a Thursday chamber, the clock at the session's start on its day."""
    doctor = await make_doctor(session, name="Dr. Asha Rao")
    chamber = await make_schedule(session, doctor, **schedule)
    await session.commit()
    clock.set(STARTS)
    return Desk(gql=gql, doctor=doctor, schedule=chamber, settings=settings, clock=clock)


def on_the_days_weekday(first: date, step: int) -> date:
    """The nearest day to ``first`` (going by ``step``) on the session day's weekday."""
    while first.weekday() != DAY.weekday():
        first += timedelta(days=step)
    return first
