"""UpdateMyProfile: a doctor edits their own profile; visibility flags govern public views."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Account, Category
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests import factories
from tests.accounts_support import token_for
from tests.conftest import GraphQLClient
from tests.operations import example_variables, operation

UPDATE = operation("UpdateMyProfile")
DOCTOR_PAGE = operation("DoctorPage")
DATES = {"from": "2026-12-01", "to": "2026-12-14"}


@pytest.fixture
async def cardiology(session: AsyncSession) -> Category:
    category = await factories.make_category(session, "Cardiology")
    await session.commit()
    return category


@pytest.fixture
async def doctor(session: AsyncSession, cardiology: Category) -> Account:
    doctor = await factories.make_doctor(session, category=cardiology, name="Asha Rao")
    await session.commit()
    return doctor


def update(**fields: Any) -> dict[str, Any]:
    return {"input": fields}


async def test_the_frontends_full_edit_is_saved(
    gql: GraphQLClient, doctor: Account, settings: Settings, clock: FixedClock
) -> None:
    # when
    body = await gql(
        UPDATE,
        example_variables("UpdateMyProfile"),
        token=token_for(doctor, settings=settings, clock=clock),
    )
    # then
    result = body["data"]["updateMyProfile"]
    assert result == {
        "__typename": "ProfileUpdated",
        "account": {
            "id": str(doctor.id),
            "name": "Asha Rao",
            "city": "Kolkata",
            "emailVisible": False,
            "phoneVisible": False,
            "registrationNumberVisible": True,
        },
    }


async def test_hidden_contacts_are_null_on_the_public_page(
    gql: GraphQLClient, doctor: Account, settings: Settings, clock: FixedClock
) -> None:
    # given
    await gql(
        UPDATE,
        update(emailVisible=False, phoneVisible=False, registrationNumberVisible=False),
        token=token_for(doctor, settings=settings, clock=clock),
    )
    # when
    body = await gql(DOCTOR_PAGE, {**DATES, "publicId": doctor.public_id})
    # then
    page = body["data"]["doctor"]
    assert (page["email"], page["phone"], page["registrationNumber"]) == (None, None, None)
    assert page["name"] == "Asha Rao"


async def test_fields_left_out_stay_as_they_were(
    gql: GraphQLClient, doctor: Account, settings: Settings, clock: FixedClock
) -> None:
    # when
    body = await gql(
        UPDATE,
        update(city="  Howrah  ", description=""),
        token=token_for(doctor, settings=settings, clock=clock),
    )
    # then
    account = body["data"]["updateMyProfile"]["account"]
    assert (account["name"], account["city"]) == ("Asha Rao", "Howrah")
    page = await gql(DOCTOR_PAGE, {**DATES, "publicId": doctor.public_id})
    assert page["data"]["doctor"]["description"] is None
    assert page["data"]["doctor"]["category"]["name"] == "Cardiology"


async def test_every_bad_field_is_reported_and_nothing_changes(
    gql: GraphQLClient, doctor: Account, settings: Settings, clock: FixedClock
) -> None:
    # when
    body = await gql(
        UPDATE,
        update(name=" ", phone="42", timeZone="Asia/Nowhere", categoryId="404", city="Delhi"),
        token=token_for(doctor, settings=settings, clock=clock),
    )
    # then
    result = body["data"]["updateMyProfile"]
    assert result["__typename"] == "ValidationFailed"
    assert sorted(error["field"] for error in result["errors"]) == [
        "categoryId",
        "name",
        "phone",
        "timeZone",
    ]
    page = await gql(DOCTOR_PAGE, {**DATES, "publicId": doctor.public_id})
    assert page["data"]["doctor"]["city"] == "Kolkata"


async def test_another_doctors_registration_number_is_already_exists(
    gql: GraphQLClient,
    session: AsyncSession,
    doctor: Account,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given
    await factories.make_doctor(session, registration_number="WBMC-99")
    await session.commit()
    # when
    body = await gql(
        UPDATE,
        update(registrationNumber="WBMC-99"),
        token=token_for(doctor, settings=settings, clock=clock),
    )
    # then
    result = body["data"]["updateMyProfile"]
    assert result["__typename"] == "AlreadyExists"
    assert result["field"] == "registrationNumber"


async def test_a_phone_is_stored_in_e164(
    gql: GraphQLClient, doctor: Account, settings: Settings, clock: FixedClock
) -> None:
    # when
    await gql(
        UPDATE,
        update(phone="098300 22222"),
        token=token_for(doctor, settings=settings, clock=clock),
    )
    # then
    page = await gql(DOCTOR_PAGE, {**DATES, "publicId": doctor.public_id})
    assert page["data"]["doctor"]["phone"] == "+919830022222"
