"""One request, one session, never used by two coroutines at once; every connection goes back."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from db.session import Database
from settings import PoolMode, Settings
from tests.conftest import GraphQLClient
from tests.factories import make_category, make_doctor, make_schedule

# Sibling root fields and nested loaders (categories, counts, schedules, contact
# phones through the account loader) all resolve concurrently in one request.
SIBLINGS = """
query Siblings {
  first: categories { id name activeDoctorCount }
  second: doctors(first: 10, orderBy: NAME) {
    totalCount
    edges { node { publicId category { name activeDoctorCount } schedules { id contactPhone } } }
  }
  third: doctor(publicId: "MMD-1") { name category { name } schedules { weekday contactPhone } }
  fourth: doctors(first: 3, orderBy: NAME, filter: {city: "Kolkata"}) {
    edges { node { name schedules { fee } } }
  }
}
"""


@pytest.fixture
async def directory(session: AsyncSession) -> None:
    cardiology = await make_category(session, "Cardiology")
    dermatology = await make_category(session, "Dermatology")
    for index in range(8):
        doctor = await make_doctor(
            session,
            category=cardiology if index % 2 else dermatology,
            phone_visible=index % 3 != 0,
        )
        await make_schedule(session, doctor, weekday=index % 7)
        await make_schedule(session, doctor, weekday=(index + 2) % 7, contact_phone=None)
    await session.commit()


@pytest.mark.usefixtures("directory")
async def test_sibling_fields_and_loaders_share_the_session_safely(gql: GraphQLClient) -> None:
    # when
    body = await gql(SIBLINGS)
    # then
    assert "errors" not in body, body
    assert len(body["data"]["first"]) == 2
    assert body["data"]["second"]["totalCount"] == 8
    assert body["data"]["third"]["name"].startswith("Dr. Test")
    assert all(len(edge["node"]["schedules"]) == 2 for edge in body["data"]["second"]["edges"])


@pytest.mark.usefixtures("directory")
async def test_concurrent_requests_leak_no_connections(
    gql: GraphQLClient, database: Database
) -> None:
    # given
    pool = database.engine.pool
    # when
    bodies = await asyncio.gather(*(gql(SIBLINGS) for _ in range(25)))
    # then
    assert all("errors" not in body for body in bodies), [b for b in bodies if "errors" in b][:1]
    assert len({str(body["data"]) for body in bodies}) == 1
    assert pool.checkedout() == 0  # type: ignore[attr-defined]


@pytest.mark.usefixtures("directory")
async def test_a_failing_request_still_returns_its_connection(
    gql: GraphQLClient, database: Database
) -> None:
    # when: the page size is refused after the other siblings may have borrowed the session
    # (by the resolver: a negative page costs nothing, where first: 1000 would be refused
    # by the cost budget before anything ran)
    body = await gql(SIBLINGS.replace("first: 3", "first: -1"))
    # then
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert database.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


@pytest.mark.usefixtures("directory")
async def test_a_page_of_doctors_costs_the_same_statements_whatever_its_size(
    gql: GraphQLClient, count_statements, settings: Settings
) -> None:
    # given
    query = "query Page($n: Int) { doctors(first: $n, orderBy: NAME) { edges { node { category { name } schedules { contactPhone } } } } }"
    counts = []
    # when
    for size in (1, 4, 8):
        with count_statements() as log:
            body = await gql(query, {"n": size})
        assert "errors" not in body
        counts.append(log.count)
    # then: the page (with its categories' names) + schedules (+ the transaction's
    # settings behind a transaction pooler); contact phones fall back to the doctor
    # at hand, and no count runs because totalCount is not selected
    expected = 3 if settings.db_pool_mode is PoolMode.TRANSACTION else 2
    assert counts == [expected] * 3, counts
