"""What an operation costs (fields times page sizes and days), counted before it runs; over the budget it is refused."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query, parse

from schema import build_schema
from schema.platform.cost import LIST_ESTIMATE, operation_cost
from settings import Settings
from tests.hardening.conftest import codes, messages, post
from tests.operations import _operations, example_variables

GRAPHQL = build_schema()._schema
BUDGET = Settings().graphql_max_cost

# 1 (doctors) + 1 (edges) + 100 x (1 node + 1 sessions + 62 days x 1 date).
HUNDRED_DOCTORS_62_DAYS = """
query Expensive($first: Int, $to: Date!) {
  doctors(first: $first) { edges { node { sessions(from: "2026-12-01", to: $to) { date } } } }
}
"""
WITH_SESSIONS = """
query Toggled($withSessions: Boolean!, $skipSessions: Boolean!) {
  doctors(first: 100) {
    totalCount
    edges {
      node {
        name
        sessions(from: "2026-12-01", to: "2027-01-31") @include(if: $withSessions) { date }
        again: sessions(from: "2026-12-01", to: "2027-01-31") @skip(if: $skipSessions) { date }
      }
    }
  }
}
"""
DAYS = """
fragment Days on Doctor { sessions(from: "2026-12-01", to: "2026-12-07") { date startsAt } }
query Once { doctor(publicId: "MMD-1") { ...Days } }
query Twice { doctor(publicId: "MMD-1") { ...Days ...Days } }
query Inline { doctor(publicId: "MMD-1") { ... on Doctor { sessions(from: "2026-12-01", to: "2026-12-07") { date startsAt } } } }
"""
SCHEDULES = "{ categories { id name } }"


def cost(document: str, operation_name: str | None = None, **variables: Any) -> int | None:
    return operation_cost(
        GRAPHQL, parse(document), operation_name=operation_name, variables=variables
    )


def request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "medimyth.request"]


def _variables(name: str) -> dict[str, Any]:
    try:
        return example_variables(name)
    except KeyError:
        return {}  # an operation without variables has no example


@pytest.mark.parametrize("name", sorted(_operations()))
def test_every_frontend_operation_costs_at_most_a_third_of_the_budget(name: str) -> None:
    # given
    document = parse(_operations()[name])
    # when
    found = operation_cost(GRAPHQL, document, variables=_variables(name))
    # then
    assert found is not None
    assert 0 < found <= BUDGET // 3, (name, found, BUDGET)


async def test_a_hundred_doctors_with_sixty_two_days_of_sessions_is_refused_with_its_cost(
    production: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # given
    caplog.set_level(logging.INFO, logger="medimyth.request")
    # when
    body = await post(production, HUNDRED_DOCTORS_62_DAYS, first=100, to="2027-01-31")
    # then
    assert body.get("data") is None
    assert codes(body) == ["BAD_USER_INPUT"]
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "cost": 6402, "limit": BUDGET}
    assert "costs 6402, more than the limit of 5000" in messages(body)[0]
    [line] = request_lines(caplog)
    assert line.statements == 0  # type: ignore[attr-defined]  # refused before any SQL


async def test_the_same_operation_with_smaller_variables_runs(
    production: httpx.AsyncClient,
) -> None:
    # when: ten doctors, or a week of sessions
    ten_doctors = await post(production, HUNDRED_DOCTORS_62_DAYS, first=10, to="2027-01-31")
    one_week = await post(production, HUNDRED_DOCTORS_62_DAYS, first=100, to="2026-12-07")
    # then
    assert ten_doctors == {"data": {"doctors": {"edges": []}}}
    assert one_week == {"data": {"doctors": {"edges": []}}}


def test_variables_change_the_cost() -> None:
    # when
    hundred = cost(HUNDRED_DOCTORS_62_DAYS, first=100, to="2027-01-31")
    ten = cost(HUNDRED_DOCTORS_62_DAYS, first=10, to="2027-01-31")
    default_page = cost(HUNDRED_DOCTORS_62_DAYS, to="2027-01-31")
    one_day = cost(HUNDRED_DOCTORS_62_DAYS, first=100, to="2026-12-01")
    # then: 2 + page x (2 + days)
    assert (hundred, ten, default_page, one_day) == (6402, 642, 1282, 302)


def test_skip_and_include_are_honoured() -> None:
    # when
    neither = cost(WITH_SESSIONS, withSessions=False, skipSessions=True)
    included = cost(WITH_SESSIONS, withSessions=True, skipSessions=True)
    both = cost(WITH_SESSIONS, withSessions=True, skipSessions=False)
    # then: 1 doctors + 1 totalCount + 1 edges + 100 x (node + name [+ 1 + 62 per sessions])
    assert neither == 3 + 100 * 2
    assert included == 3 + 100 * (2 + 63)
    assert both == 3 + 100 * (2 + 2 * 63)


def test_a_fragment_counts_once_per_spread_and_an_inline_one_as_its_fields() -> None:
    # when
    once = cost(DAYS, "Once")
    twice = cost(DAYS, "Twice")
    inline = cost(DAYS, "Inline")
    # then: doctor + sessions (1 + 7 days x 2 fields) per spread
    assert once == inline == 1 + 15
    assert twice == 1 + 2 * 15


def test_a_list_without_a_page_size_counts_as_a_few_items() -> None:
    # when
    found = cost(SCHEDULES)
    # then
    assert found == 1 + LIST_ESTIMATE * 2


def test_introspection_costs_one_per_field_whatever_it_selects() -> None:
    # given: what GraphiQL sends when it opens
    document = get_introspection_query(descriptions=True)
    # when
    found = cost(document)
    # then: __schema only, answered from memory and bounded by the schema itself
    assert found == 1


async def test_graphiql_still_loads_the_schema_in_development(client: httpx.AsyncClient) -> None:
    # when
    response = await client.post("/graphql", json={"query": get_introspection_query()})
    # then
    assert response.status_code == 200
    assert "errors" not in response.json()


def test_variables_that_do_not_fit_leave_the_cost_to_execution() -> None:
    # when
    found = cost(HUNDRED_DOCTORS_62_DAYS, first="many", to="2027-01-31")
    # then
    assert found is None


async def test_the_request_log_line_carries_the_cost(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # given
    caplog.set_level(logging.INFO, logger="medimyth.request")
    # when
    await post(client, HUNDRED_DOCTORS_62_DAYS, first=10, to="2027-01-31")
    await post(client, HUNDRED_DOCTORS_62_DAYS, first=100, to="2027-01-31")
    await post(client, "{ nope }")
    # then: a refused operation is logged with its cost; an invalid one has none
    allowed, refused, invalid = request_lines(caplog)
    assert (allowed.cost, allowed.graphql_errors) == (642, False)  # type: ignore[attr-defined]
    assert (refused.cost, refused.graphql_errors) == (6402, True)  # type: ignore[attr-defined]
    assert invalid.cost is None  # type: ignore[attr-defined]


async def test_the_budget_follows_its_setting(
    make_client: Callable[[Settings], httpx.AsyncClient], settings: Settings
) -> None:
    # given
    client = make_client(dataclasses.replace(settings, graphql_max_cost=641))
    # when
    refused = await post(client, HUNDRED_DOCTORS_62_DAYS, first=10, to="2027-01-31")
    allowed = await post(client, HUNDRED_DOCTORS_62_DAYS, first=9, to="2027-01-31")
    # then
    assert refused["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "cost": 642,
        "limit": 641,
    }
    assert "errors" not in allowed
