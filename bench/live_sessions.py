"""The live benchmark's sessions: today's occurrences started, with ARRIVED walk-ins, via the API.

Each bench session is one of today's occurrences (in its doctor's time zone) of an
active every-week schedule. Its doctor starts it with StartSession and adds walk-ins
with AddWalkIn (they start ARRIVED, through the same seat counter as bookings), all
through the running server, as a doctor would. Only the patient streams' manage
tokens are written in SQL: walk-ins get none to show, so the bench gives the watched
appointments a token derived the way bookings derive theirs (resolvers/booking/
manage_tokens.py). A rerun on the same day reuses sessions still RUNNING and tops
their ARRIVED patients up.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

import asyncpg
import httpx
from graphql import DocumentNode, OperationDefinitionNode, parse, print_ast

from bench.floor import asyncpg_dsn
from db.enums import AccountRole
from resolvers.accounts.tokens import issue_token
from resolvers.booking.manage_tokens import derive_token, hash_token, new_salt
from resolvers.platform.keys import Keyring, keyring_of
from settings import Settings
from tests.operations import OPERATIONS_DIR

LIVE_OPERATIONS = OPERATIONS_DIR / "live" / "live.graphql"
AT_ONCE = 8  # setup requests in flight


@cache
def live_operation(name: str) -> str:
    """One operation of shared/operations/live/live.graphql, alone, as the frontend sends it."""
    for definition in parse(LIVE_OPERATIONS.read_text()).definitions:
        if not isinstance(definition, OperationDefinitionNode) or definition.name is None:
            continue
        if definition.name.value == name:
            return print_ast(DocumentNode(definitions=(definition,)))
    raise KeyError(name)


@dataclass(frozen=True)
class BenchSession:
    schedule_id: int
    day: date
    doctor_token: str
    # ARRIVED appointments: (public id, manage token), highest queue number first
    patients: tuple[tuple[str, str], ...]

    @property
    def variables(self) -> dict[str, str]:
        return {"scheduleId": str(self.schedule_id), "date": self.day.isoformat()}


CANDIDATES = """
SELECT s.id, s.doctor_id, a.token_version, (now() AT TIME ZONE a.time_zone)::date AS today
FROM schedules s
JOIN accounts a ON a.id = s.doctor_id
LEFT JOIN session_seats seats
  ON seats.schedule_id = s.id AND seats.session_date = (now() AT TIME ZONE a.time_zone)::date
WHERE s.is_active AND a.status = 'ACTIVE' AND s.weeks_of_month = '{}'
  AND s.weekday = extract(isodow FROM now() AT TIME ZONE a.time_zone)::int - 1
  AND (s.patient_limit IS NULL OR s.patient_limit - coalesce(seats.booked_count, 0) >= $1)
ORDER BY s.id
LIMIT $2
"""

ARRIVED = """
SELECT id FROM appointments
WHERE schedule_id = $1 AND session_date = $2 AND status = 'ARRIVED'
ORDER BY queue_number DESC
"""


async def _post(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str | None = None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    answer: dict[str, Any] = response.json()
    if answer.get("errors"):
        raise RuntimeError(f"{query.split('(')[0]}: {answer['errors']}"[:500])
    return answer


async def prepare_sessions(
    url: str, http: httpx.AsyncClient, settings: Settings, *, sessions: int, arrived: int
) -> list[BenchSession]:
    """``sessions`` RUNNING sessions with at least ``arrived`` ARRIVED patients each."""
    dsn, kwargs = asyncpg_dsn(url)
    db = await asyncpg.connect(dsn, **kwargs)
    keyring = keyring_of(settings)
    now = datetime.now(UTC)
    gate = asyncio.Semaphore(AT_ONCE)
    try:
        # Twice as many candidates as needed: some are on vacation or otherwise refused.
        rows = await db.fetch(CANDIDATES, arrived, sessions * 2)

        async def start(row: asyncpg.Record) -> tuple[asyncpg.Record, str] | None:
            token = issue_token(
                keyring=keyring,
                account_id=row["doctor_id"],
                role=AccountRole.DOCTOR,
                version=row["token_version"],
                now=now,
                ttl=timedelta(hours=6),
            ).token
            variables = {"scheduleId": str(row["id"]), "date": row["today"].isoformat()}
            async with gate:
                await _post(http, live_operation("StartSession"), variables, token)
                board = await _post(http, live_operation("LiveSession"), variables)
            live = board["data"]["liveSession"]
            return (row, token) if live and live["state"] == "RUNNING" else None

        started = [found for found in await asyncio.gather(*map(start, rows)) if found]
        if len(started) < sessions:
            raise RuntimeError(f"only {len(started)} of today's sessions could be started")
        started = started[:sessions]

        # The seat counter serialises walk-ins per session; sessions run in parallel.
        async def top_up(row: asyncpg.Record, token: str, present: int) -> None:
            for number in range(present, arrived):
                walk_in = {
                    "scheduleId": str(row["id"]),
                    "date": row["today"].isoformat(),
                    "patientName": f"Bench Walk-in {number + 1}",
                    "patientAge": 40,
                    "patientPhone": None,
                }
                async with gate:
                    answer = await _post(
                        http, live_operation("AddWalkIn"), {"input": walk_in}, token
                    )
                kind = answer["data"]["addWalkIn"]["__typename"]
                if kind != "WalkInAdded":
                    raise RuntimeError(f"AddWalkIn on schedule {row['id']} answered {kind}")

        present = [len(await db.fetch(ARRIVED, row["id"], row["today"])) for row, _ in started]
        await asyncio.gather(
            *(top_up(row, token, have) for (row, token), have in zip(started, present, strict=True))
        )
        return [await _tokens(db, keyring, row, token) for row, token in started]
    finally:
        await db.close()


async def _tokens(
    db: asyncpg.Connection, keyring: Keyring, row: asyncpg.Record, doctor_token: str
) -> BenchSession:
    ids = [record["id"] for record in await db.fetch(ARRIVED, row["id"], row["today"])]
    patients = []
    for appointment_id in ids:
        salt = new_salt()
        token = derive_token(key=keyring.current, appointment_id=appointment_id, salt=salt)
        await db.execute(
            "UPDATE appointments SET manage_token_salt = $2, manage_token_hash = $3 WHERE id = $1",
            appointment_id,
            salt,
            hash_token(token),
        )
        patients.append((f"MMA-{appointment_id}", token))
    return BenchSession(row["id"], row["today"], doctor_token, tuple(patients))
