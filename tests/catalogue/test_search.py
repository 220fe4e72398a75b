"""SearchDoctors: active doctors only, typo-tolerant search, filters, ordering and pages."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import DoctorStatus
from db.models import Category
from tests import factories
from tests.accounts_support import error_code
from tests.conftest import GraphQLClient
from tests.operations import operation

SEARCH = operation("SearchDoctors")


@pytest.fixture
async def directory(session: AsyncSession) -> dict[str, Category]:
    cardiology = await factories.make_category(session, "Cardiology")
    dermatology = await factories.make_category(session, "Dermatology")
    await factories.make_doctor(
        session,
        name="Asha Rao",
        category=cardiology,
        city="Kolkata",
        description="Heart failure and hypertension, 12 years.",
    )
    await factories.make_doctor(
        session,
        name="Meera Iyer",
        category=dermatology,
        city="Chennai",
        description="Acne, eczema, hair and nail care.",
    )
    await factories.make_doctor(
        session,
        name="Vikram Sen",
        category=None,
        category_label="Ayurveda",
        city="kolkata",
        description="Family physician for fevers and diabetes.",
    )
    await factories.make_doctor(
        session, name="Asha Raman", status=DoctorStatus.PENDING_ACTIVATION, category=cardiology
    )
    await factories.make_doctor(
        session, name="Asha Rao Senior", status=DoctorStatus.SUSPENDED, category=cardiology
    )
    await session.commit()
    return {"cardiology": cardiology, "dermatology": dermatology}


async def search(gql: GraphQLClient, **variables: Any) -> dict[str, Any]:
    body = await gql(SEARCH, variables)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["doctors"]
    return result


def names(result: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in result["edges"]]


async def test_without_a_filter_everyone_public_is_listed_by_name(
    gql: GraphQLClient, directory: dict[str, Category]
) -> None:
    # when
    result = await search(gql)
    # then
    assert names(result) == ["Asha Rao", "Meera Iyer", "Vikram Sen"]
    assert result["totalCount"] == 3


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Asha Rrao", "Asha Rao"),
        ("cardiolgy", "Asha Rao"),
        ("mira iyer", "Meera Iyer"),
        ("eczma", "Meera Iyer"),
        ("ayurved", "Vikram Sen"),
        ("diabetes", "Vikram Sen"),
    ],
)
async def test_a_misspelled_name_specialty_or_description_still_finds_the_doctor(
    gql: GraphQLClient, directory: dict[str, Category], text: str, found: str
) -> None:
    # when
    result = await search(gql, filter={"search": text})
    # then
    assert names(result)[0] == found
    assert result["totalCount"] == len(result["edges"])


async def test_unrelated_text_finds_nobody(
    gql: GraphQLClient, directory: dict[str, Category]
) -> None:
    # when
    result = await search(gql, filter={"search": "orthopaedic surgeon"})
    # then
    assert (names(result), result["totalCount"]) == ([], 0)


async def test_pending_and_suspended_doctors_never_match(
    gql: GraphQLClient, directory: dict[str, Category]
) -> None:
    # when
    result = await search(gql, filter={"search": "Asha"})
    # then
    assert names(result) == ["Asha Rao"]


async def test_relevance_puts_the_closest_name_first_and_name_order_ignores_it(
    gql: GraphQLClient, session: AsyncSession, directory: dict[str, Category]
) -> None:
    # given: "Rao" appears in another doctor's description only
    await factories.make_doctor(
        session, name="Aaron Bell", description="Trained under Dr Rao in Kolkata"
    )
    await session.commit()
    # when
    relevance = await search(gql, filter={"search": "asha rao"}, orderBy="RELEVANCE")
    by_name = await search(gql, filter={"search": "rao"}, orderBy="NAME")
    # then
    assert names(relevance)[0] == "Asha Rao"
    assert names(by_name) == ["Aaron Bell", "Asha Rao"]


async def test_category_and_city_filters_combine(
    gql: GraphQLClient, directory: dict[str, Category]
) -> None:
    # given
    cardiology = directory["cardiology"]
    # when
    in_kolkata = await search(gql, filter={"city": "  KOLKATA "})
    cardiologists = await search(gql, filter={"categoryIds": [str(cardiology.id)]})
    nobody = await search(gql, filter={"categoryIds": [str(cardiology.id)], "city": "Chennai"})
    # then
    assert names(in_kolkata) == ["Asha Rao", "Vikram Sen"]
    assert names(cardiologists) == ["Asha Rao"]
    assert names(nobody) == []


async def test_the_frontends_example_finds_the_cardiologist(
    gql: GraphQLClient, directory: dict[str, Category]
) -> None:
    # when: search "cardio", category 1, Kolkata, by relevance
    result = await search(
        gql,
        filter={"search": "cardio", "categoryIds": ["1"], "city": "Kolkata"},
        orderBy="RELEVANCE",
        first=20,
        after=None,
    )
    # then
    assert names(result) == ["Asha Rao"]
    assert result["edges"][0]["node"]["category"]["name"] == "Cardiology"


async def test_pages_follow_the_cursor(gql: GraphQLClient, directory: dict[str, Category]) -> None:
    # when
    first = await search(gql, first=2)
    second = await search(gql, first=2, after=first["pageInfo"]["endCursor"])
    # then
    assert (names(first), first["pageInfo"]["hasNextPage"]) == (["Asha Rao", "Meera Iyer"], True)
    assert (names(second), second["pageInfo"]["hasNextPage"]) == (["Vikram Sen"], False)
    assert second["totalCount"] == 3


async def test_more_than_a_hundred_per_page_is_bad_user_input(gql: GraphQLClient) -> None:
    # when
    body = await gql(SEARCH, {"first": 101})
    # then
    assert error_code(body) == "BAD_USER_INPUT"


async def test_a_cursor_the_api_did_not_issue_is_bad_user_input(gql: GraphQLClient) -> None:
    # when
    body = await gql(SEARCH, {"after": "garbage!"})
    # then
    assert error_code(body) == "BAD_USER_INPUT"
