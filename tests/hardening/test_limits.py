"""What one request may cost: depth, aliases, tokens, page sizes and date ranges, all BAD_USER_INPUT."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from graphql import parse, validate
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.extensions.validation_cache import _get_validate_cache

from schema import build_schema
from schema.platform.guards import Limits, validation_rules
from settings import Settings
from tests.accounts_support import token_for
from tests.conftest import GraphQLClient
from tests.factories import make_admin, make_doctor
from tests.hardening.conftest import codes, messages, post
from tests.operations import _operations
from tests.scheduling_support import signed_in_doctor

ALIASES_31 = "{ " + " ".join(f"a{n}: __typename" for n in range(31)) + " }"
ALIASES_30 = "{ " + " ".join(f"a{n}: __typename" for n in range(30)) + " }"
# graphql-core counts comments as tokens: { + __typename + comments + } tokens in all.
TOKENS_2000 = "{ __typename\n" + "# padding\n" * 1997 + "}"
TOKENS_2001 = "{ __typename\n" + "# padding\n" * 1998 + "}"
DOCTORS_101 = "{ doctors(first: 101) { totalCount } }"
PENDING_101 = "{ pendingDoctors(first: 101) { totalCount } }"
SESSIONS_101 = (
    '{ findSessions(filter: {from: "2026-12-01", to: "2026-12-07"}, first: 101) { totalCount } }'
)
FIND_63_DAYS = '{ findSessions(filter: {from: "2026-12-01", to: "2027-02-01"}) { totalCount } }'
DOCTOR_63_DAYS = """
query ($publicId: String!) {
  doctor(publicId: $publicId) { sessions(from: "2026-12-01", to: "2027-02-01") { date } }
}
"""
MY_63_DAYS = '{ me { sessions(from: "2026-12-01", to: "2027-02-01") { date } } }'
MY_62_DAYS = '{ me { sessions(from: "2026-12-01", to: "2027-01-31") { date } } }'


# Singular fields only, so the depth limit alone decides (nested lists would cost
# their sizes multiplied, and meet the cost budget first: test_query_cost.py).
_CYCLE = ("doctor", "nextAvailableSession", "schedule")
_LEAF = {"doctor": "id", "nextAvailableSession": "date", "schedule": "id"}


def deep(depth: int) -> str:
    """A query `depth` levels deep (the root field is level 0): doctor > nextAvailableSession > schedule > doctor > ..."""
    text = _LEAF[_CYCLE[(depth - 1) % len(_CYCLE)]]
    for level in range(depth, 0, -1):
        field = _CYCLE[(level - 1) % len(_CYCLE)]
        if level == 1:
            field = 'doctor(publicId: "MMD-1")'
        text = f"{field} {{ {text} }}"
    return f"{{ {text} }}"


@pytest.mark.parametrize("environment", ["development", "production"])
async def test_a_query_deeper_than_ten_levels_is_refused_before_it_runs(
    make_client: Callable[[Settings], httpx.AsyncClient],
    settings: Settings,
    production_settings: Settings,
    environment: str,
) -> None:
    # given
    client = make_client(production_settings if environment == "production" else settings)
    # when
    refused = await post(client, deep(11))
    allowed = await post(client, deep(10))
    # then
    assert refused.get("data") is None
    assert codes(refused) == ["BAD_USER_INPUT"]
    assert "exceeds maximum operation depth of 10" in messages(refused)[0]
    assert "errors" not in allowed, allowed


async def test_more_than_thirty_aliases_are_refused(production: httpx.AsyncClient) -> None:
    # when
    refused = await post(production, ALIASES_31)
    allowed = await post(production, ALIASES_30)
    # then
    assert codes(refused) == ["BAD_USER_INPUT"]
    assert messages(refused) == ["31 aliases found. Allowed: 30"]
    assert len(allowed["data"]) == 30


async def test_a_document_of_more_than_two_thousand_tokens_is_refused_unparsed(
    production: httpx.AsyncClient,
) -> None:
    # when
    refused = await post(production, TOKENS_2001)
    allowed = await post(production, TOKENS_2000)
    # then: graphql-core stops at the limit with a syntax error, which leaves coded
    assert codes(refused) == ["BAD_USER_INPUT"]
    assert "Document contains more than 2000 tokens" in messages(refused)[0]
    assert allowed.get("data") == {"__typename": "Query"}, allowed


async def test_each_limit_follows_its_setting(
    make_client: Callable[[Settings], httpx.AsyncClient], settings: Settings
) -> None:
    # given
    strict = dataclasses.replace(
        settings, graphql_max_depth=3, graphql_max_aliases=1, graphql_max_tokens=100
    )
    client = make_client(strict)
    # when
    too_deep = await post(client, deep(4))
    too_many_aliases = await post(client, "{ a: __typename b: __typename }")
    too_long = await post(client, "{ " + "__typename " * 100 + "}")
    fine = await post(client, deep(3))
    # then
    assert "exceeds maximum operation depth of 3" in messages(too_deep)[0]
    assert messages(too_many_aliases) == ["2 aliases found. Allowed: 1"]
    assert "more than 100 tokens" in messages(too_long)[0]
    assert "errors" not in fine


async def test_validation_stays_cached_with_the_limits_in_place(
    production: httpx.AsyncClient,
) -> None:
    # given: the rules are built with the schema, so each request's rule tuple is equal
    cache: Any = _get_validate_cache(256)
    document = deep(5)
    await post(production, document)
    hits = cache.cache_info().hits
    # when
    await post(production, document)
    await post(production, document)
    # then
    assert cache.cache_info().hits == hits + 2


def test_every_frontend_operation_is_within_the_production_limits() -> None:
    # given
    limits = Limits(introspection=False)
    graphql_schema = build_schema(limits)._schema
    for name, text in _operations().items():
        # when
        document = parse(text, max_tokens=limits.max_tokens)
        errors = validate(graphql_schema, document, validation_rules(limits))
        # then
        assert errors == [], (name, errors)


@pytest.mark.parametrize("query", [DOCTORS_101, SESSIONS_101])
async def test_public_connections_serve_at_most_one_hundred_a_page(
    gql: GraphQLClient, query: str
) -> None:
    # when
    body = await gql(query)
    # then
    assert codes(body) == ["BAD_USER_INPUT"]
    assert messages(body) == ["first must be at most 100"]


async def test_the_admins_connection_serves_at_most_one_hundred_a_page(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: object
) -> None:
    # given
    admin = await make_admin(session)
    await session.commit()
    token = token_for(admin, settings=settings, clock=clock)  # type: ignore[arg-type]
    # when
    body = await gql(PENDING_101, token=token)
    # then
    assert codes(body) == ["BAD_USER_INPUT"]
    assert messages(body) == ["first must be at most 100"]


async def test_every_date_range_spans_at_most_sixty_two_days(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: object
) -> None:
    # given
    public = await make_doctor(session)
    await session.commit()
    _, token = await signed_in_doctor(session, settings=settings, clock=clock)  # type: ignore[arg-type]
    # when
    find = await gql(FIND_63_DAYS)
    page = await gql(DOCTOR_63_DAYS, {"publicId": public.public_id})
    mine = await gql(MY_63_DAYS, token=token)
    fine = await gql(MY_62_DAYS, token=token)
    # then
    for body in (find, page, mine):
        assert codes(body) == ["BAD_USER_INPUT"], body
        assert messages(body) == ["a date range may span at most 62 days"]
    assert "errors" not in fine
