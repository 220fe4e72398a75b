"""Mutation fuzzing: the frontend's own operations, each variable replaced in turn by hostile values.

Beside schemathesis (tests/fuzz/run.py), which generates queries from the schema, this
sends what the frontend really sends: every query and mutation of every operation set
in shared/operations whose operations all validate against schema.graphql, with the
set's example variables pointed at the seeded data. Then, one place at a time (a
variable, an input field at any depth, a list's first element), the value is replaced
by a hostile one chosen for its GraphQL type: huge and tiny numbers, floats, Unicode
digits and combining marks, right-to-left and NUL text, long strings (under and over
the request limit), calendar-edge dates, times with offsets, wrong enum values, nulls,
10,000-element lists, values of another type.

A type with several places (a date range's two ends, say) also gets each value at all of
them at once; with the time left after every such case, random combinations of two or
three places follow, and a failing combination is shrunk to the fewest changes that
still fail before it is reported.

It runs as anonymous, as a doctor and as an admin, against the same live server as
schemathesis (gunicorn over a private, seeded PostgreSQL). Every operation is sent once
unchanged in every pass; its hostile cases go to the first pass whose unchanged request
got past sign-in (anonymous for the public operations, the doctor for theirs, ...).
A case fails on any 5xx, any error whose code is not one a client can act on
(INTERNAL_SERVER_ERROR above all), no answer within 30 s; the run fails on any failed
case and on any "unexpected error" line in the server's log.

    python -m tests.fuzz.mutations --seconds 120 --seed 7

The run stops when its time is up (cases are shuffled by the seed, which is printed, so
a run can be repeated) or when every case was sent.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import random
import re
import secrets
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

import asyncpg
import httpx
from graphql import (
    DocumentNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    build_schema,
    parse,
    print_ast,
    validate,
)
from graphql.execution.values import get_variable_values
from graphql.utilities import type_from_ast

from manage import DEMO_PASSWORD
from tests.database import asyncpg_dsn
from tests.drills.support import ROOT
from tests.fuzz.checks import problem
from tests.fuzz.run import ADMIN_EMAIL, seeded_server, sign_in, unexpected_errors
from tests.operations import OPERATIONS_DIR

PASSES = ("anonymous", "doctor", "admin")
SDL = ROOT / "schema.graphql"
# Not the first seeded doctor: hostile ids such as " 1 " name doctor 1, and the admin's
# pass (last) may suspend whoever they name. The admin acts on the pending doctor.
DOCTOR_EMAIL = "kavita.bose@demo.medimyth.test"
PENDING_EMAIL = "new.doctor@demo.medimyth.test"
REQUEST_TIMEOUT = 30.0
# Where the caller could not get in: the case tells nothing about the resolver behind.
GATE_CODES = frozenset({"UNAUTHENTICATED", "FORBIDDEN"})
MAX_DEPTH = 3
LONG = 60_000  # under the 64 KiB request limit: reaches the resolvers
TOO_LONG = 100_000  # over it: refused before GraphQL
MANY = 10_000


class CurrentPassword:
    """Stands for the pass's password as it is now (ChangePassword changes it)."""

    def __repr__(self) -> str:
        return "<current password>"

    def __deepcopy__(self, _memo: dict[int, Any]) -> CurrentPassword:
        return self  # one of a kind: cases copy their variables


CURRENT_PASSWORD = CurrentPassword()
ARABIC_INDIC, FULLWIDTH = 0x0660, 0xFF10  # where each script's digit zero is


def digits_in(zero: int, text: str) -> str:
    """text with its ASCII digits written in another script's digits ("7" -> "\u0667")."""
    return "".join(chr(zero + int(c)) if "0" <= c <= "9" else c for c in text)


# Values of another type: every place gets them, so coercion is fuzzed too.
CROSS: tuple[Any, ...] = (None, 12, 1.5, True, "text", [], {})
STRINGS: tuple[Any, ...] = (
    "",
    " ",
    " \t\r\n ",
    "a" * LONG,
    "a" * TOO_LONG,
    "\x00",
    "nul\x00inside",
    "\u202eevil\u202c",
    "مرحبا بالعالم",
    "עברית ومرحبا",
    "e\u0301" * 50,
    "a" + "\u0301" * 5_000,
    "👩\u200d⚕️🏥",
    "\ud800",
    "\uffff\ufffe",
    digits_in(ARABIC_INDIC, "1234567890"),
    digits_in(FULLWIDTH, "123"),
    "²³",
    digits_in(ARABIC_INDIC, "9830012345"),
    "+91 98300 12345",
    "' OR '1'='1' --",
    "%_\\",
    "<script>alert(1)</script>",
    "Asia/" + "x" * 5_000,
    "../../etc/passwd",
    "NaN",
    "null",
)
INTS: tuple[Any, ...] = (
    0,
    -1,
    1,
    2**31 - 1,
    2**31,
    -(2**31),
    -(2**31) - 1,
    2**53 + 1,
    10**30,
    1.5,
    1e308,
    -0.0,
    "7",
    digits_in(ARABIC_INDIC, "7"),
)
FLOATS: tuple[Any, ...] = (0.0, -0.0, 1e308, -1e308, 5e-324, 2**63, "1.5", "NaN")
IDS: tuple[Any, ...] = (
    "0",
    "-1",
    "٣",
    "³",
    "¹2",
    "1e3",
    "0x1F",
    " 7 ",
    "9" * 40,
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "1.0",
    "",
    "a" * LONG,
    7,
    -1,
    2**70,
    "MMD-1",
    "MMA-1",
)
DATES: tuple[Any, ...] = (
    "2026-02-29",
    "2024-02-29",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-13-01",
    "2026-12-00",
    "2026-00-10",
    "2026-1-1",
    "20261201",
    "2026-12-01T00:00:00+05:30",
    "2026-12-01+05:30",
    digits_in(ARABIC_INDIC, "2026-12-01"),
    digits_in(FULLWIDTH, "2026-12-01"),
    "",
    "2026-W49-2",
    "2026-336",
    " 2026-12-01",
    20261201,
    "1970-01-01",
    "2038-01-19",
)
TIMES: tuple[Any, ...] = (
    "00:00",
    "23:59",
    "23:59:59",
    "24:00",
    "00:00:00.000001",
    "18:00+05:30",
    "18:00Z",
    "18:00:00-12:00",
    "18:00+14:00",
    "25:00",
    "18:60",
    digits_in(ARABIC_INDIC, "18:00"),
    "6pm",
    "18",
    "18:00:00:00",
    "",
    " 18:00",
    1800,
)
DATETIMES: tuple[Any, ...] = (
    "2026-12-01T18:00:00+05:30",
    "2026-12-01T18:00:00",
    "2026-12-01T18:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    "2026-02-29T00:00:00Z",
    "",
)
BOOLEANS: tuple[Any, ...] = (False, "true", 0, 1)
BY_SCALAR: dict[str, tuple[Any, ...]] = {
    "String": STRINGS,
    "ID": IDS,
    "Int": INTS,
    "Float": FLOATS,
    "Boolean": BOOLEANS,
    "Date": DATES,
    "Time": TIMES,
    "DateTime": DATETIMES,
}


@dataclass(frozen=True)
class Operation:
    name: str
    operation_set: str
    text: str
    definition: OperationDefinitionNode
    examples: dict[str, Any]


@dataclass(frozen=True)
class Slot:
    """A place a value goes: a variable, or an input field or list element inside one.

    ``types`` holds the GraphQL type of every step of ``path``.
    """

    path: tuple[str | int, ...]
    types: tuple[GraphQLInputType, ...]

    @property
    def label(self) -> str:
        return "".join(
            f"[{step}]" if isinstance(step, int) else ("$" if i == 0 else ".") + step
            for i, step in enumerate(self.path)
        )


@dataclass(frozen=True)
class Case:
    pass_name: str
    operation: Operation
    baseline: dict[str, Any]  # the variables as the frontend sends them
    variables: dict[str, Any]
    # What was changed, where: nothing for the operation as the frontend sends it.
    changes: tuple[tuple[Slot, Any], ...] = ()

    @property
    def places(self) -> str:
        return " & ".join(slot.label for slot, _ in self.changes) or "(unchanged)"

    @property
    def values(self) -> str:
        return " & ".join(_shown(value) for _, value in self.changes)


@dataclass(frozen=True)
class Seeded:
    """Rows of the seeded database the examples are pointed at."""

    doctor_public_id: str
    schedule_ids: tuple[int, ...]
    appointment_ids: tuple[int, ...]
    session_date: date
    vacation_id: int
    pending_doctor_id: int


@dataclass
class Finding:
    case: Case
    problem: str


@dataclass
class Run:
    tokens: dict[str, str | None]
    passwords: dict[str, str]
    sent: Counter[str] = field(default_factory=Counter)
    planned: Counter[str] = field(default_factory=Counter)
    hostile: Counter[str] = field(default_factory=Counter)
    combined: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)


def operation_sets(schema: GraphQLSchema) -> tuple[list[Operation], dict[str, str]]:
    """Queries and mutations of every set whose operations all validate with their examples,
    and the sets left out with their first problem ("" is the top-level set)."""
    included: list[Operation] = []
    excluded: dict[str, str] = {}
    folders = [OPERATIONS_DIR, *sorted(p for p in OPERATIONS_DIR.iterdir() if p.is_dir())]
    for folder in folders:
        label = "" if folder == OPERATIONS_DIR else folder.name
        examples_path = folder / "variables.json"
        examples = json.loads(examples_path.read_text()) if examples_path.is_file() else {}
        found: list[Operation] = []
        for path in sorted(folder.glob("*.graphql")):
            for definition in parse(path.read_text()).definitions:
                if not isinstance(definition, OperationDefinitionNode) or not definition.name:
                    continue
                name = definition.name.value
                why = _invalid(schema, definition, examples.get(name, {}))
                if why is not None:
                    excluded.setdefault(label, f"{path.name} {name}: {why}")
                elif definition.operation is not OperationType.SUBSCRIPTION:
                    text = print_ast(DocumentNode(definitions=(definition,)))
                    found.append(Operation(name, label, text, definition, examples.get(name, {})))
        if label not in excluded:
            included.extend(found)
    return included, excluded


def _invalid(
    schema: GraphQLSchema, definition: OperationDefinitionNode, examples: dict[str, Any]
) -> str | None:
    errors = validate(schema, DocumentNode(definitions=(definition,)))
    if errors:
        return errors[0].message
    coerced = get_variable_values(schema, definition.variable_definitions or (), examples)
    return coerced[0].message if isinstance(coerced, list) else None


def slots(schema: GraphQLSchema, definition: OperationDefinitionNode) -> list[Slot]:
    found: list[Slot] = []
    for variable in definition.variable_definitions or ():
        declared = type_from_ast(schema, variable.type)
        assert declared is not None  # the operation validated
        _walk(found, (variable.variable.name.value,), (cast(GraphQLInputType, declared),))
    return found


def _walk(
    found: list[Slot], path: tuple[str | int, ...], types: tuple[GraphQLInputType, ...]
) -> None:
    found.append(Slot(path, types))
    if len(path) > MAX_DEPTH:
        return
    inner = _nullable(types[-1])
    if isinstance(inner, GraphQLList):
        _walk(found, (*path, 0), (*types, inner.of_type))
    elif isinstance(inner, GraphQLInputObjectType):
        for name, input_field in inner.fields.items():
            _walk(found, (*path, name), (*types, input_field.type))


def _nullable(graphql_type: GraphQLInputType) -> GraphQLInputType:
    if isinstance(graphql_type, GraphQLNonNull):
        inner: GraphQLInputType = graphql_type.of_type
        return inner
    return graphql_type


def hostile(graphql_type: GraphQLInputType) -> list[Any]:
    """The hostile values for a place of this type: its own kind's, then other types'."""
    inner = _nullable(graphql_type)
    own: Sequence[Any]
    if isinstance(inner, GraphQLList):
        element = sample(inner.of_type)
        own = ([], [None], [element] * MANY, ["1"] * MANY, "not a list", [element, None])
    elif isinstance(inner, GraphQLInputObjectType):
        own = ({}, {"noSuchField": 1}, "an object?", [{}])
    elif isinstance(inner, GraphQLEnumType):
        names = list(inner.values)
        own = (*names, "WRONG", names[0].lower(), "", 0)
    elif isinstance(inner, GraphQLScalarType):
        own = BY_SCALAR.get(inner.name, STRINGS)
    else:  # pragma: no cover - input types are lists, input objects, enums and scalars
        own = ()
    values: list[Any] = []
    for value in (*own, *CROSS):
        if not any(_same(value, known) for known in values):
            values.append(value)
    return values


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def sample(graphql_type: GraphQLInputType) -> Any:
    """A plausible value of the type, for containers a deeper place needs."""
    inner = _nullable(graphql_type)
    if isinstance(inner, GraphQLList):
        return [sample(inner.of_type)]
    if isinstance(inner, GraphQLInputObjectType):
        return {}
    if isinstance(inner, GraphQLEnumType):
        return next(iter(inner.values))
    name = inner.name if isinstance(inner, GraphQLScalarType) else ""
    return {"Int": 1, "Float": 1.0, "Boolean": True, "Date": "2026-12-03", "Time": "18:00"}.get(
        name, "1"
    )


def with_value(variables: dict[str, Any], slot: Slot, value: Any) -> dict[str, Any]:
    """A copy of the variables with value at the slot; containers on the way are made when
    missing (an input object as {}, a list with one plausible element)."""
    changed = copy.deepcopy(variables)
    cursor: Any = changed
    *steps, last = slot.path
    for step, key in enumerate(steps):
        if isinstance(key, int) and not cursor:
            cursor.append(sample(slot.types[step]))
        if not isinstance(cursor[key] if isinstance(key, int) else cursor.get(key), dict | list):
            cursor[key] = sample(slot.types[step])
        cursor = cursor[key]
    if isinstance(last, int) and not cursor:
        cursor.append(None)
    cursor[last] = value
    return changed


def pointed_at(operation: Operation, seeded: Seeded) -> dict[str, Any]:
    """The operation's example variables, pointed at the seeded doctor's own rows."""
    variables = copy.deepcopy(operation.examples)
    schedule, last = str(seeded.schedule_ids[0]), str(seeded.schedule_ids[-1])
    first_patient, last_patient = seeded.appointment_ids[0], seeded.appointment_ids[-1]
    overrides: dict[str, dict[str, Any]] = {
        "DoctorPage": {"publicId": seeded.doctor_public_id},
        "SessionAppointments": {"scheduleId": schedule, "date": seeded.session_date.isoformat()},
        "VacationImpact": {"input": {"scheduleIds": [str(i) for i in seeded.schedule_ids]}},
        "UpdateSchedule": {"id": schedule},
        "DeleteSchedule": {"id": last},
        "DeleteVacation": {"id": str(seeded.vacation_id)},
        "CancelAppointment": {"id": str(first_patient)},
        "SetAppointmentStatus": {"id": str(last_patient)},
        "ActivateDoctor": {"doctorId": str(seeded.pending_doctor_id)},
        "SuspendDoctor": {"doctorId": str(seeded.pending_doctor_id)},
        "ChangePassword": {"currentPassword": CURRENT_PASSWORD},
        "BookAppointment": {
            "input": {"scheduleId": schedule, "date": seeded.session_date.isoformat()}
        },
    }
    _merge(variables, overrides.get(operation.name, {}))
    return variables


def _merge(into: dict[str, Any], changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


async def _seeded(url: str) -> Seeded:
    dsn, options = asyncpg_dsn(url)
    connection = await asyncpg.connect(dsn, **options)
    try:
        doctor = await connection.fetchrow(
            "SELECT id, public_number FROM accounts WHERE email = $1", DOCTOR_EMAIL
        )
        schedules = [
            row["id"]
            for row in await connection.fetch(
                "SELECT id FROM schedules WHERE doctor_id = $1 ORDER BY id", doctor["id"]
            )
        ]
        patients = await connection.fetch(
            "SELECT id, session_date FROM appointments WHERE schedule_id = ANY($1::bigint[])"
            " ORDER BY id",
            schedules,
        )
        vacation = await connection.fetchval(
            "INSERT INTO vacations (doctor_id, start_date, end_date, reason)"
            " VALUES ($1, '2027-06-01', '2027-06-03', 'fuzzing') RETURNING id",
            doctor["id"],
        )
        await connection.executemany(
            "INSERT INTO vacation_schedules (vacation_id, schedule_id, period)"
            " VALUES ($1, $2, daterange('2027-06-01', '2027-06-03', '[]'))",
            [(vacation, schedule) for schedule in schedules],
        )
        pending = await connection.fetchval(
            "SELECT id FROM accounts WHERE email = $1", PENDING_EMAIL
        )
    finally:
        await connection.close()
    return Seeded(
        doctor_public_id=f"MMD-{doctor['public_number']}",
        schedule_ids=tuple(schedules),
        appointment_ids=tuple(row["id"] for row in patients),
        session_date=patients[0]["session_date"],
        vacation_id=vacation,
        pending_doctor_id=pending,
    )


def _resolved(value: Any, password: str) -> Any:
    if value is CURRENT_PASSWORD:
        return password
    if isinstance(value, dict):
        return {key: _resolved(item, password) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolved(item, password) for item in value]
    return value


def post(client: httpx.Client, run: Run, case: Case) -> tuple[str | None, dict[str, Any] | None]:
    """Post one case: what is wrong with its answer (None: nothing), and the decoded body."""
    variables = _resolved(case.variables, run.passwords[case.pass_name])
    headers = {"Content-Type": "application/json"}
    token = run.tokens[case.pass_name]
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    payload = {
        "query": case.operation.text,
        "operationName": case.operation.name,
        "variables": variables,
    }
    run.sent[case.pass_name] += 1
    try:
        response = client.post("/graphql", content=json.dumps(payload), headers=headers)
    except httpx.TimeoutException:
        return f"no answer within {REQUEST_TIMEOUT:.0f} s", None
    except httpx.TransportError as error:
        return f"transport error: {error!r}", None
    found = problem(response.status_code, response.text)
    if response.status_code != 200:
        return found, None
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        return found, None
    _follow_password_change(run, case, variables, body)
    return found, body


def send(client: httpx.Client, run: Run, case: Case) -> dict[str, Any] | None:
    """Post one case and record it when it fails: reduced to the fewest changes that still
    fail, so a combination is reported under the one hostile value behind it."""
    found, body = post(client, run, case)
    if found is not None:
        while len(case.changes) > 1:
            for change in case.changes:
                fewer = tuple(other for other in case.changes if other is not change)
                smaller = _case(case.pass_name, case.operation, case.baseline, fewer)
                still, _ = post(client, run, smaller)
                if still is not None:
                    case, found = smaller, still
                    break
            else:
                break
        run.findings.append(Finding(case, found))
    return body


def _follow_password_change(
    run: Run, case: Case, variables: dict[str, Any], body: dict[str, Any]
) -> None:
    """A changed password ends the pass's token: carry on with the new one."""
    answer = (body.get("data") or {}).get("changePassword")
    if isinstance(answer, dict) and answer.get("__typename") == "AuthPayload":
        run.tokens[case.pass_name] = answer["accessToken"]
        run.passwords[case.pass_name] = variables["newPassword"]


def _gate_closed(body: dict[str, Any] | None) -> bool:
    errors = (body or {}).get("errors") or []
    return any((error.get("extensions") or {}).get("code") in GATE_CODES for error in errors)


def hostile_cases(
    schema: GraphQLSchema, operation: Operation, pass_name: str, baseline: dict[str, Any]
) -> Iterator[Case]:
    """Each place with each of its hostile values; then, for each scalar or enum type with
    several places (a range's two dates, say), each value at all of them at once."""
    places = slots(schema, operation.definition)
    for slot in places:
        for value in hostile(slot.types[-1]):
            yield _case(pass_name, operation, baseline, ((slot, value),))
    by_type: dict[str, list[Slot]] = defaultdict(list)
    for slot in places:
        inner = _nullable(slot.types[-1])
        if isinstance(inner, GraphQLScalarType | GraphQLEnumType):
            by_type[inner.name].append(slot)
    for same in by_type.values():
        if len(same) > 1:
            for value in hostile(same[0].types[-1]):
                yield _case(pass_name, operation, baseline, tuple((s, value) for s in same))


def random_cases(
    schema: GraphQLSchema,
    operation: Operation,
    pass_name: str,
    baseline: dict[str, Any],
    rng: random.Random,
) -> Iterator[Case]:
    """Endless: two or three places (none inside another) with hostile values at once."""
    places = slots(schema, operation.definition)
    if len(places) < 2:
        return
    while True:
        wanted = rng.choice((2, 3))
        chosen: list[Slot] = []
        for slot in rng.sample(places, len(places)):
            if not any(_nested(slot, other) for other in chosen):
                chosen.append(slot)
            if len(chosen) == wanted:
                break
        changes = tuple((slot, rng.choice(hostile(slot.types[-1]))) for slot in chosen)
        yield _case(pass_name, operation, baseline, changes)


def _nested(a: Slot, b: Slot) -> bool:
    shorter = min(len(a.path), len(b.path))
    return a.path[:shorter] == b.path[:shorter]


def _case(
    pass_name: str,
    operation: Operation,
    baseline: dict[str, Any],
    changes: tuple[tuple[Slot, Any], ...],
) -> Case:
    variables = baseline
    for slot, value in changes:
        variables = with_value(variables, slot, value)
    return Case(pass_name, operation, baseline, variables, changes)


def fuzz(
    client: httpx.Client,
    run: Run,
    schema: GraphQLSchema,
    operations: list[Operation],
    seeded: Seeded,
    *,
    passes: Sequence[str],
    seed: int,
    deadline: float,
) -> None:
    """Every operation unchanged in every pass; then its hostile cases (shuffled) in the
    first pass it got into; then, while time is left, random combinations of them. Passes
    run in order (the admin's last: it suspends doctors)."""
    plans: dict[str, list[Case]] = defaultdict(list)
    combinations: dict[str, list[Iterator[Case]]] = defaultdict(list)
    fuzzed: set[str] = set()
    for pass_name in passes:
        rng = random.Random(f"{seed}:{pass_name}")
        for operation in operations:
            baseline = pointed_at(operation, seeded)
            body = send(client, run, Case(pass_name, operation, baseline, baseline))
            if operation.name not in fuzzed and not _gate_closed(body):
                fuzzed.add(operation.name)
                plans[pass_name].extend(hostile_cases(schema, operation, pass_name, baseline))
                combinations[pass_name].append(
                    random_cases(schema, operation, pass_name, baseline, rng)
                )
        rng.shuffle(plans[pass_name])
        run.planned[pass_name] = len(plans[pass_name])
    # First every planned case, then random combinations with the time left; passes in
    # order each time, each with the time left in proportion to its planned cases.
    for index, pass_name in enumerate(passes):
        ends = _share(deadline, plans, passes[index:])
        for case in plans[pass_name]:
            if time.monotonic() >= ends:
                break
            send(client, run, case)
            run.hostile[pass_name] += 1
    for index, pass_name in enumerate(passes):
        ends = _share(deadline, plans, passes[index:])
        streams = list(combinations[pass_name])
        rng = random.Random(f"{seed}:{pass_name}:combined")
        while streams and time.monotonic() < ends:
            stream = rng.choice(streams)
            combined = next(stream, None)
            if combined is None:
                streams.remove(stream)
                continue
            send(client, run, combined)
            run.combined[pass_name] += 1


def _share(deadline: float, plans: dict[str, list[Case]], passes: Sequence[str]) -> float:
    """When the first of passes should stop: its part of the time left, by planned cases."""
    later = sum(len(plans[name]) for name in passes) or 1
    now = time.monotonic()
    return min(deadline, now + (deadline - now) * len(plans[passes[0]]) / later)


def _shown(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        kind = f"{type(value).__name__} of {len(value)}" if hasattr(value, "__len__") else ""
        return f"{text[:40]}... ({kind})"
    return text


def report(run: Run, bugs: list[str]) -> None:
    """The failed cases grouped by operation, places and problem, with the values tried."""
    grouped: dict[tuple[str, str, str], list[Finding]] = defaultdict(list)
    for finding in run.findings:
        message = re.sub(r"'requestId': '[0-9a-f]+'", "", finding.problem)[:160]
        grouped[(finding.case.operation.name, finding.case.places, message)].append(finding)
    for (name, places, message), found in sorted(grouped.items()):
        values = "; ".join(sorted({f.case.values for f in found})[:6])
        passes = ",".join(sorted({f.case.pass_name for f in found}))
        print(f"FAIL {name} {places} [{passes}] x{len(found)}: {message}\n     values: {values}")
    for line in bugs[:40]:
        print(f"server log: {line}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120, help="time for the hostile cases")
    parser.add_argument("--seed", type=int, default=None, help="shuffle order (default: random)")
    parser.add_argument("--passes", default=",".join(PASSES), help="anonymous,doctor,admin")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    passes = tuple(name for name in args.passes.split(",") if name)
    if unknown := set(passes) - set(PASSES):
        parser.error(f"unknown passes: {', '.join(sorted(unknown))}")
    print(f"== fuzz-mutations: seed {seed} (repeat with --seed {seed}), {args.seconds:.0f} s")
    schema = build_schema(SDL.read_text())
    operations, excluded = operation_sets(schema)
    for label, why in sorted(excluded.items()):
        print(f"set {label or '(top level)'} left out, it does not validate: {why}")
    print(f"{len(operations)} operations: {', '.join(op.name for op in operations)}")
    started = time.monotonic()
    with seeded_server("fuzz-mutations-server") as (server, url):
        seeded = asyncio.run(_seeded(url))
        run = Run(
            tokens={
                "anonymous": None,
                "doctor": sign_in(server.origin, DOCTOR_EMAIL, DEMO_PASSWORD),
                "admin": sign_in(server.origin, ADMIN_EMAIL, DEMO_PASSWORD),
            },
            passwords=dict.fromkeys(PASSES, DEMO_PASSWORD),
        )
        with httpx.Client(base_url=server.origin, timeout=REQUEST_TIMEOUT) as client:
            fuzz(
                client,
                run,
                schema,
                operations,
                seeded,
                passes=passes,
                seed=seed,
                deadline=time.monotonic() + args.seconds,
            )
        bugs = unexpected_errors(server)
    report(run, bugs)
    counts = ", ".join(
        f"{name} {run.hostile[name]} of {run.planned[name]} + {run.combined[name]} combined"
        for name in passes
    )
    print(
        f"fuzz-mutations: seed {seed}; hostile cases sent: {counts};"
        f" {len(run.findings)} failed, {len(bugs)} unexpected errors in the server log,"
        f" {time.monotonic() - started:.0f} s"
    )
    return 1 if run.findings or bugs else 0


if __name__ == "__main__":
    sys.exit(main())
