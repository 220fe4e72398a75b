"""User errors: one mapping from resolver results to GraphQL types, and a code on every error."""

from __future__ import annotations

import graphql
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.platform import errors as results
from resolvers.platform.clock import FixedClock
from schema import schema
from schema.platform.results import answer, answered_types
from schema.platform.user_errors import NotFound, UserErrorCode, code_of
from settings import Settings
from tests import factories
from tests.accounts_support import token_for
from tests.conftest import GraphQLClient

SDL = graphql.build_schema(schema.as_str())

# Every mutation asks for both: a frontend switches on `code` and shows `message`.
ACTIVATE_WITH_CODE = """
mutation ActivateWithCode($doctorId: ID!) {
  activateDoctor(doctorId: $doctorId) {
    __typename
    ... on UserError { code message }
  }
}
"""
CREATE_CATEGORY_WITH_CODES = """
mutation CreateCategoryWithCodes($name: String!) {
  createCategory(name: $name) {
    __typename
    ... on UserError { code message }
    ... on ValidationFailed { errors { field code message } }
  }
}
"""


def _mutation_result_types() -> set[str]:
    mutation = SDL.mutation_type
    assert mutation is not None
    names: set[str] = set()
    for field in mutation.fields.values():
        named = graphql.get_named_type(field.type)
        if isinstance(named, graphql.GraphQLUnionType):
            names.update(member.name for member in named.types)
    return names


def test_every_user_error_type_has_its_code() -> None:
    # given every type the schema says implements UserError
    interface = SDL.get_type("UserError")
    assert isinstance(interface, graphql.GraphQLInterfaceType)
    implementations = SDL.get_implementations(interface).objects
    # when each name is turned into its code
    codes = {item.name: code_of(item.name) for item in implementations}
    # then each has one, and no code is left without a type
    assert len(implementations) >= 10
    assert {code.value for code in codes.values()} == {code.value for code in UserErrorCode}


@pytest.mark.parametrize(
    ("type_name", "code"),
    [
        ("NotFound", "NOT_FOUND"),
        ("NotAScheduledDate", "NOT_A_SCHEDULED_DATE"),
        ("OtpInvalid", "OTP_INVALID"),
        ("ValidationFailed", "VALIDATION_FAILED"),
    ],
)
def test_a_code_is_the_type_name_in_screaming_snake_case(type_name: str, code: str) -> None:
    # given / when / then
    assert code_of(type_name).value == code


def test_a_type_without_a_code_is_a_bug_not_a_guess() -> None:
    # given / when / then
    with pytest.raises(KeyError):
        code_of("SomethingNew")


def test_every_member_of_a_mutation_union_is_answered_through_the_one_mapping() -> None:
    # given the resolver results the mapping knows, converted once each
    answered = {graphql_type.__name__ for graphql_type in answered_types()}
    # when the mutation unions' members are listed
    members = _mutation_result_types()
    # then every one of them is some result's answer
    assert members - answered == set()


def test_a_result_nobody_answers_is_a_type_error() -> None:
    # given a class no GraphQL type answers
    class Unmapped:
        pass

    # when / then
    with pytest.raises(TypeError, match="Unmapped"):
        answer(Unmapped())


def test_a_result_is_answered_by_its_registered_type_with_its_fields() -> None:
    # given / when
    answered = answer(results.NotFound("No such doctor."))
    # then
    assert isinstance(answered, NotFound)
    assert answered.message == "No such doctor."


async def test_an_error_answer_carries_its_code(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given an admin, and a doctor id that names nobody
    admin = await factories.make_admin(session)
    await session.commit()
    token = token_for(admin, settings=settings, clock=clock)
    # when
    answered = await gql(ACTIVATE_WITH_CODE, {"doctorId": "999"}, token=token)
    invalid = await gql(CREATE_CATEGORY_WITH_CODES, {"name": "   "}, token=token)
    # then
    assert answered["data"]["activateDoctor"]["__typename"] == "NotFound"
    assert answered["data"]["activateDoctor"]["code"] == "NOT_FOUND"
    assert invalid["data"]["createCategory"]["code"] == "VALIDATION_FAILED"
    [problem] = invalid["data"]["createCategory"]["errors"]
    assert (problem["field"], problem["code"]) == ("name", "REQUIRED")
