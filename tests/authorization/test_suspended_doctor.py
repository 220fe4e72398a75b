"""A suspended doctor signs in and sees their own account and status, and nothing else.

Every operation of the doctor's dashboard (shared/operations/doctor.graphql) is sent
by a suspended doctor whose variables point at their own schedules, vacation and
patients. The doctor-only ones answer FORBIDDEN with no data, and the database,
outbox included, is exactly as before; the same requests from the same doctor,
active, succeed and change things, so it is the suspension that refuses them.
Signing in, ``me`` and changing the password stay open (see
resolvers/accounts/standing.py for why the password is).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest
from graphql import FieldNode, OperationDefinitionNode, Visitor, build_schema, parse, visit
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import DoctorStatus
from db.models import Account, Base
from db.session import Database
from resolvers.accounts.standing import SUSPENDED_MESSAGE
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests import factories
from tests.accounts_support import token_for
from tests.conftest import GraphQLClient
from tests.operations import OPERATIONS_DIR, example_variables, operation

EXAMPLES = json.loads((OPERATIONS_DIR / "variables.json").read_text())
SDL = Path(__file__).resolve().parents[2] / "schema.graphql"
DOCTOR_DOCUMENT = OPERATIONS_DIR / "doctor.graphql"
TUESDAY, THURSDAY = date(2026, 12, 1), date(2026, 12, 3)  # "now" is Tuesday 09:00 in Kolkata

# Patient data and changes: refused to a suspended doctor.
REFUSED = (
    "SessionAppointments",
    "VacationImpact",
    "UpdateMyProfile",
    "CreateSchedules",
    "UpdateSchedule",
    "DeleteSchedule",
    "CreateVacation",
    "DeleteVacation",
    "CancelAppointment",
    "SetAppointmentStatus",
)
# Signing in, the doctor's own account and status, and the password (account security).
OPEN_TO_SUSPENDED = ("Login", "MyAccount", "MyCalendar", "ChangePassword")
# Sent without a token: proven by an OTP, they are nobody's session.
ANONYMOUS = ("RegisterDoctor", "ResetPassword")

# Every root field of the schema, by who may call it. A new field fails
# test_every_root_field_is_classified until it is placed here.
DOCTOR_ONLY_FIELDS = frozenset(
    {
        "sessionAppointments",
        "vacationImpact",
        "updateMyProfile",
        "createSchedules",
        "updateSchedule",
        "deleteSchedule",
        "createVacation",
        "deleteVacation",
        "cancelAppointment",
        "setAppointmentStatus",
    }
)
# Fields of the integrations operations (not the dashboard's) that a doctor may use (the
# webhook ones an admin too): each domain's own tests refuse them to a suspended doctor
# (tests/feeds for rotateCalendarFeed; tests/webhooks/test_endpoints.py for the endpoints).
INTEGRATION_DOCTOR_FIELDS = frozenset(
    {
        "rotateCalendarFeed",
        "webhookEndpoints",
        "createWebhookEndpoint",
        "sendTestWebhook",
        "rotateWebhookSecret",
        "deleteWebhookEndpoint",
    }
)
# The session day's mutations (operations/live): tests/live/test_answers.py refuses each
# to a suspended doctor.
LIVE_DOCTOR_FIELDS = frozenset(
    {"startSession", "announceDelay", "callNext", "addWalkIn", "endSession"}
)
ANY_ACCOUNT_FIELDS = frozenset({"me", "changePassword"})
ADMIN_FIELDS = frozenset(
    {
        "pendingDoctors",
        "activateDoctor",
        "suspendDoctor",
        "createCategory",
        "renameCategory",
        "auditEvents",
    }
)
PUBLIC_FIELDS = frozenset(
    {
        "categories",
        "doctor",
        "doctors",
        "findSessions",
        "myAppointment",
        "requestOtp",
        "registerDoctor",
        "login",
        "resetPassword",
        "bookAppointment",
        "cancelMyAppointment",
        "joinWaitlist",
        "myWaitlistEntry",
        "leaveWaitlist",
        "liveSession",
        "verifyPhone",
        "rescheduleMyAppointment",
    }
)
# Fields for a patient signed in with a phone token (verifyPhone), which no account's token
# opens: tests/patients/test_phone_token_scope.py and test_my_bookings.py try them.
PATIENT_FIELDS = frozenset({"myBookings", "myWaitlist"})


@dataclass(frozen=True)
class World:
    """A doctor with two chambers, a patient in each (today's and Thursday's), a vacation."""

    doctor: Account
    token: str
    tuesday: int
    thursday: int
    todays_patient: int
    thursdays_patient: int
    vacation: int


def variables_for(name: str, world: World) -> dict[str, Any]:
    """The frontend's example variables, pointed at the world's own rows."""
    own: dict[str, dict[str, Any]] = {
        "SessionAppointments": {"scheduleId": str(world.tuesday), "date": TUESDAY.isoformat()},
        "VacationImpact": {
            "input": {"start": "2026-12-01", "end": "2026-12-08", "scheduleIds": None}
        },
        "CreateSchedules": {
            "input": {**example_variables("CreateSchedules")["input"], "weekdays": ["FRIDAY"]}
        },
        "UpdateSchedule": {"id": str(world.tuesday), "input": {"startTime": "18:30", "fee": 600}},
        "DeleteSchedule": {"id": str(world.thursday), "reason": "clinic closed"},
        "CreateVacation": {
            "input": {
                **example_variables("CreateVacation")["input"],
                "start": "2026-12-02",
                "end": "2026-12-08",
            }
        },
        "DeleteVacation": {"id": str(world.vacation)},
        "CancelAppointment": {"id": str(world.thursdays_patient), "reason": "emergency surgery"},
        "SetAppointmentStatus": {"id": str(world.todays_patient), "status": "ARRIVED"},
    }
    if name in own:
        return own[name]
    return example_variables(name) if name in EXAMPLES else {}


async def make_world(
    session: AsyncSession, settings: Settings, clock: FixedClock, status: DoctorStatus
) -> World:
    await factories.make_category(session, "Cardiology")  # the examples' category 1
    doctor = await factories.make_doctor(session, status=status, email="asha@example.org")
    tuesday = await factories.make_schedule(session, doctor, weekday=1, start_time=time(18))
    thursday = await factories.make_schedule(session, doctor, weekday=3, start_time=time(18))
    todays = await factories.make_appointment(session, tuesday, TUESDAY)
    thursdays = await factories.make_appointment(session, thursday, THURSDAY)
    vacation = await factories.make_vacation(
        session, doctor, date(2026, 12, 20), date(2026, 12, 27), schedules=[tuesday, thursday]
    )
    await session.commit()
    return World(
        doctor=doctor,
        token=token_for(doctor, settings=settings, clock=clock),
        tuesday=tuesday.id,
        thursday=thursday.id,
        todays_patient=todays.id,
        thursdays_patient=thursdays.id,
        vacation=vacation.id,
    )


Rows = dict[str, list[dict[str, Any]]]


async def snapshot(database: Database) -> Rows:
    """Every row of every table (the outbox too), in primary-key order."""
    found: Rows = {}
    async with database.session() as session:
        for table in Base.metadata.sorted_tables:
            rows = await session.execute(select(table).order_by(*table.primary_key.columns))
            found[table.name] = [dict(row._mapping) for row in rows]
    return found


def without_status(rows: Rows) -> Rows:
    """The rows but the suspension's own change (the doctor's status and updated_at)."""
    changed = {"status", "updated_at"}
    return {
        name: [
            {k: v for k, v in row.items() if name != "accounts" or k not in changed}
            for row in found
        ]
        for name, found in rows.items()
    }


def operation_names(path: Path) -> list[str]:
    return [
        definition.name.value
        for definition in parse(path.read_text()).definitions
        if isinstance(definition, OperationDefinitionNode) and definition.name is not None
    ]


def root_fields(name: str) -> set[str]:
    fields: set[str] = set()

    class Roots(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> Any:
            fields.add(node.name.value)
            return self.SKIP

    visit(parse(operation(name)), Roots())
    return fields


def test_every_operation_of_the_doctors_dashboard_is_classified() -> None:
    # when
    names = operation_names(DOCTOR_DOCUMENT)
    # then
    classified = [*REFUSED, *OPEN_TO_SUSPENDED, *ANONYMOUS]
    assert sorted(names) == sorted(classified)


def test_every_root_field_is_classified_and_each_doctor_only_one_is_tried() -> None:
    # given
    schema = build_schema(SDL.read_text())
    roots = [schema.query_type, schema.mutation_type, schema.subscription_type]
    # when
    fields = {name for root in roots if root is not None for name in root.fields}
    tried = set().union(*(root_fields(name) for name in REFUSED))
    # then
    groups = (
        DOCTOR_ONLY_FIELDS,
        INTEGRATION_DOCTOR_FIELDS,
        LIVE_DOCTOR_FIELDS,
        ANY_ACCOUNT_FIELDS,
        ADMIN_FIELDS,
        PUBLIC_FIELDS,
        PATIENT_FIELDS,
    )
    assert sum(len(group) for group in groups) == len(set().union(*groups))
    assert fields == set().union(*groups)
    assert tried == DOCTOR_ONLY_FIELDS


@pytest.mark.parametrize("name", REFUSED)
async def test_a_suspended_doctor_is_refused_and_nothing_changes(
    gql: GraphQLClient,
    session: AsyncSession,
    database: Database,
    settings: Settings,
    clock: FixedClock,
    name: str,
) -> None:
    # given
    world = await make_world(session, settings, clock, DoctorStatus.SUSPENDED)
    before = await snapshot(database)
    # when
    body = await gql(operation(name), variables_for(name, world), token=world.token)
    # then
    assert body["data"] is None, body
    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]
    assert body["errors"][0]["message"] == SUSPENDED_MESSAGE
    assert await snapshot(database) == before


@pytest.mark.parametrize("name", REFUSED)
async def test_the_same_requests_from_the_doctor_when_active_succeed(
    gql: GraphQLClient,
    session: AsyncSession,
    database: Database,
    settings: Settings,
    clock: FixedClock,
    name: str,
) -> None:
    # given
    world = await make_world(session, settings, clock, DoctorStatus.ACTIVE)
    before = await snapshot(database)
    # when
    body = await gql(operation(name), variables_for(name, world), token=world.token)
    # then
    assert "errors" not in body, body
    (answer,) = body["data"].values()
    if isinstance(answer, list):  # the two reads of patient data
        assert answer
        assert all(appointment["patientPhone"] for appointment in answer)
    else:
        assert answer["__typename"] not in ("NotFound", "NotAllowed", "ValidationFailed"), answer
        assert await snapshot(database) != before


@pytest.mark.parametrize("name", [*OPEN_TO_SUSPENDED, *ANONYMOUS])
async def test_a_suspended_doctor_still_signs_in_reads_their_account_and_changes_password(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock, name: str
) -> None:
    # given
    world = await make_world(session, settings, clock, DoctorStatus.SUSPENDED)
    token = None if name in ANONYMOUS or name == "Login" else world.token
    # when
    body = await gql(operation(name), variables_for(name, world), token=token)
    # then
    assert "errors" not in body, body
    answer = body["data"]["me" if name.startswith("My") else name[0].lower() + name[1:]]
    if name == "MyAccount":
        assert (answer["status"], len(answer["schedules"])) == ("SUSPENDED", 2)
    if name in ("Login", "ChangePassword"):
        assert answer["__typename"] == "AuthPayload"
    if name in ANONYMOUS:
        assert answer["__typename"] == "OtpInvalid"


@pytest.mark.parametrize("name", ["UpdateSchedule", "CancelAppointment", "UpdateMyProfile"])
async def test_a_suspension_committed_while_a_change_waits_refuses_the_change(
    gql: GraphQLClient,
    session: AsyncSession,
    database: Database,
    settings: Settings,
    clock: FixedClock,
    name: str,
) -> None:
    # given an admin's suspension in flight: the doctor's row locked, not yet committed
    world = await make_world(session, settings, clock, DoctorStatus.ACTIVE)
    before = await snapshot(database)
    async with database.session() as admins_side:
        await admins_side.execute(
            update(Account)
            .where(Account.id == world.doctor.id)
            .values(status=DoctorStatus.SUSPENDED)
        )
        # when the doctor, still active to every plain read, sends a change meanwhile
        change = asyncio.create_task(
            gql(operation(name), variables_for(name, world), token=world.token)
        )
        await asyncio.sleep(0.3)
        waiting = not change.done()
        await admins_side.commit()
        body = await change
    # then it waited for the suspension, then refused: nothing of it was written
    assert waiting
    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]
    after = await snapshot(database)
    assert [row["status"] for row in after["accounts"]] == [DoctorStatus.SUSPENDED]
    assert without_status(after) == without_status(before)
