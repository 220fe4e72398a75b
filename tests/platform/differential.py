"""Support for the differential tests: the same input through the stock and the fast path.

Two levels, both compared byte for byte (key order included, errors included):

- a schema's ExecutionResult, serialized by ``response_json`` (``{"data", "errors",
  "extensions"}`` in that order, each error as graphql-core formats it);
- the app's HTTP answer (status and body, the bytes the view encodes) for one of the
  frontend's operations, over a real PostgreSQL seeded with the demo data. Each path
  answers against its own copy of one seeded template database (``CREATE DATABASE
  ... TEMPLATE``), so a mutation meets the same rows, sequences and timestamps on
  both; reads share one copy. Randomness (booking salts, OTP codes) is replaced by
  a sequence that restarts for each path.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from graphql import (
    DocumentNode,
    OperationDefinitionNode,
    OperationType,
    build_schema,
    parse,
    print_ast,
    validate,
)
from sqlalchemy import select
from strawberry.types import ExecutionResult

from app import create_app
from db.enums import DoctorStatus, OtpPurpose
from db.models import Account, Schedule
from db.seed import seed_demo
from db.session import Database
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests import database as testdb
from tests import factories
from tests.accounts_support import token_for
from tests.booking_support import CODE, give_code
from tests.conftest import DEFAULT_NOW
from tests.operations import OPERATIONS_DIR

REQUEST_ID = "differential-0001"
MANAGE_TOKEN = "differential-manage-token"
PATIENT_PHONE = "+919830012345"
NEW_DOCTOR_PHONE = "+919830011111"


def response_json(result: ExecutionResult) -> str:
    """The result as a client receives it, key order kept: the bytes to compare."""
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    # repr for anything JSON cannot hold (an unawaited coroutine, say): it differs, loudly.
    return json.dumps(payload, ensure_ascii=False, default=repr)


def assert_same_bytes(stock: str | bytes, fast: str | bytes, what: str) -> None:
    """Fail with the first differing position and both sides around it."""
    if stock == fast:
        return
    length = min(len(stock), len(fast))
    at = next((i for i in range(length) if stock[i] != fast[i]), length)
    start = max(0, at - 120)
    raise AssertionError(
        f"{what}: the fast path differs from the stock path at byte {at}"
        f" (lengths {len(stock)} and {len(fast)})\n"
        f"  stock: ...{stock[start : at + 120]!r}\n"
        f"  fast:  ...{fast[start : at + 120]!r}"
    )


class Deterministic:
    """secrets.token_urlsafe, token_hex, token_bytes and randbelow as a sequence that restarts per path."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        monkeypatch.setattr(secrets, "token_urlsafe", self.token_urlsafe)
        monkeypatch.setattr(secrets, "token_hex", self.token_hex)
        monkeypatch.setattr(secrets, "randbelow", self.randbelow)
        monkeypatch.setattr(secrets, "token_bytes", self.token_bytes)

    def restart(self) -> None:
        self.calls = 0

    def token_urlsafe(self, nbytes: int | None = None) -> str:
        self.calls += 1
        return f"deterministic-{self.calls:04d}-{nbytes}"

    def token_hex(self, nbytes: int | None = None) -> str:
        self.calls += 1
        return f"{self.calls:0{2 * (nbytes or 32)}x}"  # as long and as hex as the real one

    def token_bytes(self, nbytes: int | None = None) -> bytes:
        self.calls += 1
        return self.calls.to_bytes(4, "big").rjust(nbytes or 32, b"d")

    def randbelow(self, exclusive_upper_bound: int) -> int:
        self.calls += 1
        return (123456 + 7919 * self.calls) % exclusive_upper_bound


# The frontend's operations: the top level and each capability's set beside it.


@dataclass(frozen=True)
class Operation:
    set_name: str  # "" for the top level
    name: str
    document: str
    examples: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.set_name}/{self.name}" if self.set_name else self.name

    @property
    def kind(self) -> OperationType:
        definition = parse(self.document).definitions[0]
        assert isinstance(definition, OperationDefinitionNode)
        return definition.operation


def operation_sets() -> dict[str, list[Operation]]:
    """Every named operation of shared/operations, per set ("" is the top level)."""
    folders = {"": OPERATIONS_DIR}
    for path in sorted(OPERATIONS_DIR.iterdir()):
        if path.is_dir() and (path / "variables.json").is_file():
            folders[path.name] = path
    return {name: _operations_in(name, folder) for name, folder in folders.items()}


def _operations_in(set_name: str, folder: Path) -> list[Operation]:
    examples: dict[str, Any] = json.loads((folder / "variables.json").read_text())
    found: list[Operation] = []
    for path in sorted(folder.glob("*.graphql")):
        for definition in parse(path.read_text()).definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.name is not None:
                name = definition.name.value
                text = print_ast(DocumentNode(definitions=(definition,)))
                found.append(Operation(set_name, name, text, dict(examples.get(name, {}))))
    return found


def invalid_operations(sdl: str, operations: list[Operation]) -> list[str]:
    """The operations that do not validate against the schema (the set's check fails on them)."""
    schema = build_schema(sdl)
    return [op.name for op in operations if validate(schema, parse(op.document))]


# The seeded database every app-level answer starts from.


@dataclass
class Seeded:
    template_url: str
    settings: Settings
    doctor_token: str
    admin_token: str
    ids: dict[str, str]
    reads_url: str = ""
    clones: list[str] = field(default_factory=list)


async def seed_template(base_url: str, settings: Settings) -> Seeded:
    """A migrated database with the demo data, codes, a known manage token; not used directly."""
    url = await testdb.create_database(base_url, prefix="medimyth_differential")
    testdb.alembic(url, "upgrade", "head")
    clock = FixedClock(DEFAULT_NOW)
    database = Database(replace(settings, database_url=url))
    try:
        async with database.session() as session:
            await seed_demo(
                session,
                password_hash=factories.password_hash(),
                time_zone="Asia/Kolkata",
                today=date(2026, 12, 1),
            )
            admin = await factories.make_admin(session)
            doctor = await session.scalar(
                select(Account).where(Account.email == "asha.rao@demo.medimyth.test")
            )
            pending = await session.scalar(
                select(Account).where(Account.status == DoctorStatus.PENDING_ACTIVATION)
            )
            assert doctor is not None
            assert pending is not None
            assert doctor.phone is not None
            schedules = list(
                await session.scalars(
                    select(Schedule).where(Schedule.doctor_id == doctor.id).order_by(Schedule.id)
                )
            )
            weekly = schedules[0]  # Mondays, 10:00 to 13:00
            appointment = await factories.make_appointment(
                session,
                weekly,
                date(2026, 12, 7),
                manage_token=MANAGE_TOKEN,
                patient_name="Rina Das",
                patient_phone=PATIENT_PHONE,
            )
            vacation = await factories.make_vacation(
                session, doctor, date(2026, 12, 28), date(2026, 12, 30), schedules=[weekly]
            )
            for phone, purpose in (
                (PATIENT_PHONE, OtpPurpose.BOOK_APPOINTMENT),
                (NEW_DOCTOR_PHONE, OtpPurpose.REGISTER_DOCTOR),
                (doctor.phone, OtpPurpose.RESET_PASSWORD),
            ):
                await give_code(session, phone, settings=settings, clock=clock, purpose=purpose)
            await session.commit()
            assert doctor.public_id is not None
            ids = {
                "doctor": str(doctor.id),
                "doctor_public": doctor.public_id,
                "doctor_phone": doctor.phone.removeprefix("+91"),
                "pending": str(pending.id),
                "weekly": str(weekly.id),
                "fortnightly": str(schedules[1].id),
                "appointment": str(appointment.id),
                "appointment_public": appointment.public_id,
                "vacation": str(vacation.id),
            }
            doctor_token = token_for(doctor, settings=settings, clock=clock)
            admin_token = token_for(admin, settings=settings, clock=clock)
    finally:
        await database.dispose()
    return Seeded(url, settings, doctor_token, admin_token, ids)


async def clone(seeded: Seeded) -> str:
    """A fresh copy of the seeded template; dropped with the template at the end."""
    name = f"medimyth_differential_copy_{uuid.uuid4().hex[:10]}"
    template = seeded.template_url.rsplit("/", 1)[1].split("?", 1)[0]
    dsn, kwargs = testdb.asyncpg_dsn(testdb.with_database(seeded.template_url, "postgres"))
    connection = await asyncpg.connect(dsn, **kwargs)
    try:
        # A pooler in front of the server (CI's PgBouncer pass) keeps its server connection to
        # the template after the seeding released it, and PostgreSQL refuses to copy a database
        # anyone is connected to. Nothing uses the template itself, so those connections go.
        await connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            template,
        )
        await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await connection.close()
    url = testdb.with_database(seeded.template_url, name)
    seeded.clones.append(url)
    return url


async def drop_all(seeded: Seeded) -> None:
    for url in [*seeded.clones, seeded.template_url]:
        await testdb.drop_database(url)


async def answer(
    seeded: Seeded,
    url: str,
    *,
    fast: bool,
    body: bytes,
    token: str | None,
    without: frozenset[str] = frozenset(),
) -> tuple[int, bytes]:
    """One POST to /graphql of an app built on the fast (less ``without``) or the stock path."""
    settings = replace(
        seeded.settings,
        database_url=url,
        graphql_fast_path=fast,
        graphql_fast_path_without=without,
    )
    database = Database(settings)
    headers = {"Content-Type": "application/json", "X-Request-ID": REQUEST_ID}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    try:
        app = create_app(settings, clock=FixedClock(DEFAULT_NOW), database=database)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.post("/graphql", content=body, headers=headers)
    finally:
        await database.dispose()
    return response.status_code, response.content


async def cached_answers(
    seeded: Seeded, url: str, *, body: bytes, times: int = 2
) -> tuple[list[tuple[int, bytes]], int]:
    """The same anonymous POST ``times`` times to a fast app whose response cache is in use.

    The app runs its lifespan, so the worker listens and the cache is used; answers the
    cache served count as hits (returned beside the answers).
    """
    settings = replace(
        seeded.settings,
        database_url=url,
        response_cache=True,
        live_listen_url=testdb.direct_url(url),
    )
    database = Database(settings)
    headers = {"Content-Type": "application/json", "X-Request-ID": REQUEST_ID}
    answers: list[tuple[int, bytes]] = []
    try:
        app = create_app(settings, clock=FixedClock(DEFAULT_NOW), database=database)
        async with app.router.lifespan_context(app):
            cache = app.state.response_cache
            for _ in range(200):
                if cache.listening():
                    break
                await asyncio.sleep(0.025)
            assert cache.listening(), "the worker never listened"
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                for _ in range(times):
                    response = await c.post("/graphql", content=body, headers=headers)
                    answers.append((response.status_code, response.content))
            hits: int = cache.hits
    finally:
        await database.dispose()
    return answers, hits


def body(document: str, variables: dict[str, Any], name: str | None = None) -> bytes:
    return json.dumps({"query": document, "operationName": name, "variables": variables}).encode()


# Who sends each operation, and the example variables adapted to the seeded rows.

ADMIN_OPERATIONS = {"PendingDoctors", "ActivateDoctor", "SuspendDoctor"}
ADMIN_OPERATIONS |= {"CreateCategory", "RenameCategory"}
ANONYMOUS_OPERATIONS = {"Categories", "SearchDoctors", "DoctorPage", "FindSessions"}
ANONYMOUS_OPERATIONS |= {"RequestOtp", "BookAppointment", "MyAppointment", "CancelMyAppointment"}
ANONYMOUS_OPERATIONS |= {"RegisterDoctor", "Login", "ResetPassword"}
# The capability sets: who would send them (patients/ is the patient's browser).
SET_CALLERS = {"live": "doctor", "integrations": "doctor", "patients": "anonymous"}


def caller(operation: Operation) -> str:
    if operation.set_name:
        return SET_CALLERS.get(operation.set_name, "anonymous")
    if operation.name in ADMIN_OPERATIONS:
        return "admin"
    return "anonymous" if operation.name in ANONYMOUS_OPERATIONS else "doctor"


def token(seeded: Seeded, who: str) -> str | None:
    return {"doctor": seeded.doctor_token, "admin": seeded.admin_token}.get(who)


def adapted(operation: Operation, seeded: Seeded) -> dict[str, Any]:
    """The frontend's example variables, pointed at the seeded doctor, schedules and codes."""
    ids = seeded.ids
    variables: dict[str, Any] = json.loads(json.dumps(operation.examples))
    for key in ("publicId", "manageToken"):
        if key in variables and operation.name in ("MyAppointment", "CancelMyAppointment"):
            variables[key] = ids["appointment_public"] if key == "publicId" else MANAGE_TOKEN
    changes: dict[str, list[tuple[str, Any]]] = {
        "BookAppointment": [("input.otpCode", CODE)],
        "RegisterDoctor": [("input.otpCode", CODE)],
        "Login": [("email", "asha.rao@demo.medimyth.test")],
        "ResetPassword": [
            ("input.email", "asha.rao@demo.medimyth.test"),
            ("input.phone", ids["doctor_phone"]),
            ("input.otpCode", CODE),
        ],
        "SessionAppointments": [("scheduleId", ids["weekly"]), ("date", "2026-12-07")],
        "UpdateSchedule": [("id", ids["weekly"])],
        "DeleteSchedule": [("id", ids["fortnightly"])],
        "RequestOtp": [("phone", "9830077777")],  # a phone without a code yet
        # Over the seeded Monday bookings, so the impact and the cancellations are not empty.
        "VacationImpact": [
            ("input.scheduleIds", [ids["weekly"], ids["fortnightly"]]),
            ("input.start", "2026-12-05"),
            ("input.end", "2026-12-08"),
        ],
        "CreateVacation": [("input.start", "2026-12-05"), ("input.end", "2026-12-08")],
        "DeleteVacation": [("id", ids["vacation"])],
        "CancelAppointment": [("id", ids["appointment"])],
        "SetAppointmentStatus": [("id", ids["appointment"])],
        "ActivateDoctor": [("doctorId", ids["pending"])],
        "SuspendDoctor": [("doctorId", ids["doctor"])],
    }
    if not operation.set_name:
        for dotted, value in changes.get(operation.name, []):
            target = variables
            *outer, last = dotted.split(".")
            for key in outer:
                target = target[key]
            target[last] = value
    return variables
