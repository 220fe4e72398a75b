"""The mutation fuzzer's parts that need no server: which operations, which places, which values."""

from __future__ import annotations

from datetime import date

from graphql import GraphQLSchema, build_schema

from tests.fuzz.mutations import (
    CURRENT_PASSWORD,
    SDL,
    Operation,
    Seeded,
    hostile,
    hostile_cases,
    operation_sets,
    pointed_at,
    slots,
    with_value,
)
from tests.operations import operation

SCHEMA: GraphQLSchema = build_schema(SDL.read_text())
SEEDED = Seeded(
    doctor_public_id="MMD-10",
    schedule_ids=(19, 20),
    appointment_ids=(31, 32),
    session_date=date(2026, 12, 9),
    vacation_id=1,
    pending_doctor_id=11,
)


def frontend(name: str) -> Operation:
    operations, _ = operation_sets(SCHEMA)
    return next(op for op in operations if op.name == name)


def test_every_top_level_operation_is_fuzzed_and_sets_that_do_not_validate_are_named() -> None:
    # when
    operations, excluded = operation_sets(SCHEMA)
    # then: each one sent as the frontend writes it (subscriptions are not HTTP)
    names = {op.name for op in operations}
    assert {"BookAppointment", "UpdateSchedule", "SuspendDoctor", "SearchDoctors"} <= names
    assert all(op.text == operation(op.name) for op in operations if op.operation_set == "")
    assert all(why for why in excluded.values())
    assert "" not in excluded


def test_every_variable_input_field_and_first_list_element_is_a_place() -> None:
    # when
    labels = [slot.label for slot in slots(SCHEMA, frontend("VacationImpact").definition)]
    # then
    assert labels == [
        "$input",
        "$input.start",
        "$input.end",
        "$input.reason",
        "$input.scheduleIds",
        "$input.scheduleIds[0]",
        "$input.cancelAffected",
    ]


def test_a_place_gets_hostile_values_of_its_own_type_then_of_others() -> None:
    # given
    places = {slot.label: slot for slot in slots(SCHEMA, frontend("SearchDoctors").definition)}
    # when
    order_by = hostile(places["$orderBy"].types[-1])
    ids = hostile(places["$filter.categoryIds[0]"].types[-1])
    lists = hostile(places["$filter.categoryIds"].types[-1])
    # then
    assert order_by[:5] == ["RELEVANCE", "NAME", "WRONG", "relevance", ""]
    assert None in order_by
    assert all(value in ids for value in ("\u0663", "9223372036854775808", 2**70))
    assert any(isinstance(value, list) and len(value) == 10_000 for value in lists)
    assert len({repr(value) for value in ids}) == len(ids)


def test_a_value_deep_inside_makes_the_containers_it_needs() -> None:
    # given a filter the example leaves out, and an empty list
    places = {slot.label: slot for slot in slots(SCHEMA, frontend("FindSessions").definition)}
    baseline = {"filter": None, "first": 20}
    # when
    changed = with_value(baseline, places["$filter.categoryIds[0]"], "\u0663")
    # then
    assert changed == {"filter": {"categoryIds": ["\u0663"]}, "first": 20}
    assert baseline == {"filter": None, "first": 20}


def test_the_examples_point_at_the_seeded_doctors_rows() -> None:
    # when
    update = pointed_at(frontend("UpdateSchedule"), SEEDED)
    suspend = pointed_at(frontend("SuspendDoctor"), SEEDED)
    change = pointed_at(frontend("ChangePassword"), SEEDED)
    # then
    assert update["id"] == "19"
    assert update["input"]["fee"] == 600  # the rest of the example stays
    assert suspend == {"doctorId": "11", "reason": "licence expired"}
    assert change["currentPassword"] is CURRENT_PASSWORD


def test_one_value_goes_to_every_place_of_a_type_at_once_too() -> None:
    # when
    cases = list(hostile_cases(SCHEMA, frontend("MyCalendar"), "doctor", {"from": "x", "to": "y"}))
    # then: the range's two dates, each alone and both together
    together = [case for case in cases if len(case.changes) == 2]
    assert {case.places for case in together} == {"$from & $to"}
    assert {"from": "9999-12-31", "to": "9999-12-31"} in [case.variables for case in together]
    assert len(cases) == 3 * len(together)
