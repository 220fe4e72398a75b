"""Pending queue, activation (MMD-<n> once, never reused) and suspension (with an email)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import DoctorStatus, NotificationChannel
from db.models import Account, Notification
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests import factories
from tests.accounts_support import error_code, token_for
from tests.conftest import GraphQLClient
from tests.operations import operation

PENDING = operation("PendingDoctors")
ACTIVATE = operation("ActivateDoctor")
SUSPEND = operation("SuspendDoctor")
DOCTOR_PAGE = operation("DoctorPage")
DATES = {"from": "2026-12-01", "to": "2026-12-14"}
CATEGORIES = operation("Categories")


@pytest.fixture
async def admin_token(session: AsyncSession, settings: Settings, clock: FixedClock) -> str:
    admin = await factories.make_admin(session)
    await session.commit()
    return token_for(admin, settings=settings, clock=clock)


async def pending_doctor(session: AsyncSession, **fields: Any) -> Account:
    doctor = await factories.make_doctor(session, status=DoctorStatus.PENDING_ACTIVATION, **fields)
    await session.commit()
    return doctor


async def test_admins_see_pending_doctors_oldest_first_a_page_at_a_time(
    gql: GraphQLClient, session: AsyncSession, admin_token: str
) -> None:
    # given
    doctors = [await pending_doctor(session) for _ in range(3)]
    await factories.make_doctor(session)  # active: not in the queue
    await session.commit()
    # when
    first = await gql(PENDING, {"first": 2, "after": None}, token=admin_token)
    page = first["data"]["pendingDoctors"]
    second = await gql(
        PENDING, {"first": 2, "after": page["pageInfo"]["endCursor"]}, token=admin_token
    )
    # then
    assert page["totalCount"] == 3
    assert page["pageInfo"]["hasNextPage"] is True
    assert [edge["node"]["id"] for edge in page["edges"]] == [str(d.id) for d in doctors[:2]]
    node = page["edges"][0]["node"]
    assert node["status"] == "PENDING_ACTIVATION"
    assert node["email"] == doctors[0].email
    assert node["phone"] == doctors[0].phone
    assert node["registrationNumber"] == doctors[0].registration_number
    rest = second["data"]["pendingDoctors"]
    assert [edge["node"]["id"] for edge in rest["edges"]] == [str(doctors[2].id)]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_more_than_a_hundred_per_page_is_bad_user_input(
    gql: GraphQLClient, admin_token: str
) -> None:
    # when
    body = await gql(PENDING, {"first": 101}, token=admin_token)
    # then
    assert error_code(body) == "BAD_USER_INPUT"


async def test_activation_assigns_public_ids_in_order_and_makes_the_doctor_public(
    gql: GraphQLClient, session: AsyncSession, admin_token: str
) -> None:
    # given
    asha = await pending_doctor(session, name="Asha Rao")
    vikram = await pending_doctor(session, name="Vikram Sen")
    # when
    first = await gql(ACTIVATE, {"doctorId": str(asha.id)}, token=admin_token)
    second = await gql(ACTIVATE, {"doctorId": str(vikram.id)}, token=admin_token)
    # then
    assert first["data"]["activateDoctor"] == {
        "__typename": "DoctorStatusChanged",
        "account": {"id": str(asha.id), "publicId": "MMD-1", "status": "ACTIVE"},
    }
    assert second["data"]["activateDoctor"]["account"]["publicId"] == "MMD-2"
    page = await gql(DOCTOR_PAGE, {**DATES, "publicId": "MMD-1"})
    assert page["data"]["doctor"]["name"] == "Asha Rao"


async def test_a_suspended_doctor_vanishes_and_is_told_by_email(
    gql: GraphQLClient, session: AsyncSession, admin_token: str
) -> None:
    # given
    category = await factories.make_category(session, "Cardiology")
    doctor = await factories.make_doctor(session, category=category, email="asha@example.org")
    await session.commit()
    # when
    body = await gql(
        SUSPEND, {"doctorId": str(doctor.id), "reason": "licence expired"}, token=admin_token
    )
    # then
    assert body["data"]["suspendDoctor"]["account"]["status"] == "SUSPENDED"
    assert (await gql(DOCTOR_PAGE, {**DATES, "publicId": doctor.public_id}))["data"][
        "doctor"
    ] is None
    categories = await gql(CATEGORIES)
    assert categories["data"]["categories"][0]["activeDoctorCount"] == 0
    email = await session.scalar(
        select(Notification).where(Notification.channel == NotificationChannel.EMAIL)
    )
    assert email is not None
    assert email.recipient == "asha@example.org"
    assert "licence expired" in email.body


async def test_reactivating_keeps_the_public_id_and_burns_no_number(
    gql: GraphQLClient, session: AsyncSession, admin_token: str
) -> None:
    # given
    asha = await pending_doctor(session)
    await gql(ACTIVATE, {"doctorId": str(asha.id)}, token=admin_token)
    await gql(SUSPEND, {"doctorId": str(asha.id)}, token=admin_token)
    # when
    again = await gql(ACTIVATE, {"doctorId": str(asha.id)}, token=admin_token)
    newcomer = await pending_doctor(session)
    other = await gql(ACTIVATE, {"doctorId": str(newcomer.id)}, token=admin_token)
    # then
    assert again["data"]["activateDoctor"]["account"]["publicId"] == "MMD-1"
    assert other["data"]["activateDoctor"]["account"]["publicId"] == "MMD-2"


async def test_a_suspended_doctor_can_still_sign_in_and_see_the_status(
    gql: GraphQLClient, session: AsyncSession, admin_token: str
) -> None:
    # given
    doctor = await factories.make_doctor(session, email="asha@example.org")
    await session.commit()
    await gql(SUSPEND, {"doctorId": str(doctor.id)}, token=admin_token)
    # when
    body = await gql(
        operation("Login"), {"email": "asha@example.org", "password": factories.DEFAULT_PASSWORD}
    )
    # then
    assert body["data"]["login"]["account"]["status"] == "SUSPENDED"


@pytest.mark.parametrize("doctor_id", ["999", "not-a-number"])
async def test_an_unknown_doctor_is_not_found(
    gql: GraphQLClient, admin_token: str, doctor_id: str
) -> None:
    # when
    activate = await gql(ACTIVATE, {"doctorId": doctor_id}, token=admin_token)
    suspend = await gql(SUSPEND, {"doctorId": doctor_id}, token=admin_token)
    # then
    assert activate["data"]["activateDoctor"]["__typename"] == "NotFound"
    assert suspend["data"]["suspendDoctor"]["__typename"] == "NotFound"


async def test_an_admin_is_not_a_doctor_to_activate(
    gql: GraphQLClient, session: AsyncSession, admin_token: str
) -> None:
    # given
    other_admin = await factories.make_admin(session, email="root@example.org")
    await session.commit()
    # when
    body = await gql(SUSPEND, {"doctorId": str(other_admin.id)}, token=admin_token)
    # then
    assert body["data"]["suspendDoctor"]["__typename"] == "NotFound"
