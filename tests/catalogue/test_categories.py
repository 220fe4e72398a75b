"""CreateCategory and RenameCategory: unique names whatever their case, never blank."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.platform.clock import FixedClock
from settings import Settings
from tests import factories
from tests.accounts_support import token_for
from tests.conftest import GraphQLClient
from tests.operations import example_variables, operation

CREATE = operation("CreateCategory")
RENAME = operation("RenameCategory")
CATEGORIES = operation("Categories")


@pytest.fixture
async def admin_token(session: AsyncSession, settings: Settings, clock: FixedClock) -> str:
    admin = await factories.make_admin(session)
    await session.commit()
    return token_for(admin, settings=settings, clock=clock)


async def test_an_admin_creates_a_category_everyone_then_sees(
    gql: GraphQLClient, admin_token: str
) -> None:
    # when
    body = await gql(CREATE, example_variables("CreateCategory"), token=admin_token)
    # then
    assert body["data"]["createCategory"] == {
        "__typename": "CategorySaved",
        "category": {"id": "1", "name": "Cardiology"},
    }
    listed = await gql(CATEGORIES)
    assert listed["data"]["categories"] == [
        {"id": "1", "name": "Cardiology", "activeDoctorCount": 0}
    ]


async def test_names_are_trimmed(gql: GraphQLClient, admin_token: str) -> None:
    # when
    body = await gql(CREATE, {"name": "  General   Medicine "}, token=admin_token)
    # then
    assert body["data"]["createCategory"]["category"]["name"] == "General Medicine"


async def test_a_name_taken_in_another_case_already_exists(
    gql: GraphQLClient, admin_token: str
) -> None:
    # given
    await gql(CREATE, {"name": "Cardiology"}, token=admin_token)
    # when
    body = await gql(CREATE, {"name": "CARDIOLOGY"}, token=admin_token)
    # then
    assert body["data"]["createCategory"] == {
        "__typename": "AlreadyExists",
        "message": "A category with this name already exists.",
        "field": "name",
    }


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
async def test_a_blank_or_too_long_name_is_a_validation_error(
    gql: GraphQLClient, admin_token: str, name: str
) -> None:
    # when
    body = await gql(CREATE, {"name": name}, token=admin_token)
    # then
    result = body["data"]["createCategory"]
    assert result["__typename"] == "ValidationFailed"
    assert [error["field"] for error in result["errors"]] == ["name"]


async def test_an_admin_renames_a_category(
    gql: GraphQLClient, session: AsyncSession, admin_token: str
) -> None:
    # given
    await factories.make_category(session, "Cardiology")
    await session.commit()
    # when
    body = await gql(RENAME, example_variables("RenameCategory"), token=admin_token)
    # then
    assert body["data"]["renameCategory"] == {
        "__typename": "CategorySaved",
        "category": {"id": "1", "name": "Cardiology (Heart)"},
    }


async def test_renaming_to_another_case_of_itself_is_allowed(
    gql: GraphQLClient, session: AsyncSession, admin_token: str
) -> None:
    # given
    await factories.make_category(session, "ent")
    await session.commit()
    # when
    body = await gql(RENAME, {"id": "1", "name": "ENT"}, token=admin_token)
    # then
    assert body["data"]["renameCategory"]["category"]["name"] == "ENT"


async def test_renaming_to_another_categorys_name_already_exists(
    gql: GraphQLClient, session: AsyncSession, admin_token: str
) -> None:
    # given
    await factories.make_category(session, "Cardiology")
    await factories.make_category(session, "Dermatology")
    await session.commit()
    # when
    body = await gql(RENAME, {"id": "2", "name": "cardiology"}, token=admin_token)
    # then
    assert body["data"]["renameCategory"]["__typename"] == "AlreadyExists"
    assert body["data"]["renameCategory"]["field"] == "name"


async def test_renaming_an_unknown_category_is_not_found(
    gql: GraphQLClient, admin_token: str
) -> None:
    # when
    body = await gql(RENAME, {"id": "42", "name": "Anything"}, token=admin_token)
    # then
    assert body["data"]["renameCategory"]["__typename"] == "NotFound"
