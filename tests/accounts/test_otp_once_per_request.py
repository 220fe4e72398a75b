"""At most one requestOtp per request: aliases and fragments cannot multiply the sends."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Notification
from tests.accounts_support import error_code
from tests.conftest import GraphQLClient

ALIASED = """
mutation Pump {
  a: requestOtp(phone: "9830012345", purpose: BOOK_APPOINTMENT) { __typename }
  b: requestOtp(phone: "9830012346", purpose: BOOK_APPOINTMENT) { __typename }
}
"""

THROUGH_FRAGMENTS = """
mutation Pump {
  a: requestOtp(phone: "9830012345", purpose: BOOK_APPOINTMENT) { __typename }
  ...More
}
fragment More on Mutation {
  ... on Mutation {
    b: requestOtp(phone: "9830012346", purpose: BOOK_APPOINTMENT) { __typename }
  }
}
"""

ONE_WITH_OTHER_FIELDS = """
mutation One {
  requestOtp(phone: "9830012345", purpose: BOOK_APPOINTMENT) { __typename }
  login(email: "nobody@example.org", password: "wrong password") { __typename }
}
"""

SAME_FIELD_TWICE = """
mutation Merged {
  requestOtp(phone: "9830012345", purpose: BOOK_APPOINTMENT) { __typename }
  requestOtp(phone: "9830012345", purpose: BOOK_APPOINTMENT) { ... on OtpSent { phone } }
}
"""


async def sms_count(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Notification)) or 0


async def test_two_aliased_requests_are_refused_as_a_whole(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # when
    body = await gql(ALIASED)
    # then
    assert body["data"] is None
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["message"] == (
        "requestOtp may be asked for once per request; this operation asks 2 times."
    )
    assert await sms_count(session) == 0


async def test_a_second_request_hidden_in_a_fragment_is_refused_too(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # when
    body = await gql(THROUGH_FRAGMENTS)
    # then
    assert error_code(body) == "BAD_USER_INPUT"
    assert await sms_count(session) == 0


async def test_one_request_beside_other_fields_is_sent(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # when
    body = await gql(ONE_WITH_OTHER_FIELDS)
    # then
    assert body["data"]["requestOtp"] == {"__typename": "OtpSent"}
    assert await sms_count(session) == 1


async def test_one_field_selected_twice_under_one_key_runs_once_and_is_accepted(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # when
    body = await gql(SAME_FIELD_TWICE)
    # then
    assert body["data"]["requestOtp"] == {"__typename": "OtpSent", "phone": "+919830012345"}
    assert await sms_count(session) == 1
