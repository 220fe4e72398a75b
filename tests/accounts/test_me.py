"""MyAccount: the signed-in account with every field, hidden ones included, and its schedules."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.platform.clock import FixedClock
from settings import Settings
from tests import factories
from tests.accounts_support import error_code, token_for
from tests.conftest import GraphQLClient
from tests.operations import operation

ME = operation("MyAccount")


async def test_a_doctor_sees_their_whole_profile_even_hidden_contacts(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    category = await factories.make_category(session, "Cardiology")
    doctor = await factories.make_doctor(
        session,
        category=category,
        name="Asha Rao",
        email="asha@example.org",
        phone="+919830011111",
        email_visible=False,
        phone_visible=False,
        registration_number_visible=False,
        referral_code="FRIEND",
    )
    schedule = await factories.make_schedule(session, doctor, contact_phone=None)
    await session.commit()
    # when
    body = await gql(ME, token=token_for(doctor, settings=settings, clock=clock))
    # then
    me = body["data"]["me"]
    assert me["publicId"] == doctor.public_id
    assert me["status"] == "ACTIVE"
    assert (me["email"], me["phone"], me["registrationNumber"]) == (
        "asha@example.org",
        "+919830011111",
        doctor.registration_number,
    )
    assert (me["emailVisible"], me["phoneVisible"], me["registrationNumberVisible"]) == (
        False,
        False,
        False,
    )
    assert me["category"] == {"id": str(category.id), "name": "Cardiology"}
    assert me["referralCode"] == "FRIEND"
    assert me["timeZone"] == "Asia/Kolkata"
    # the owner sees the fallback contact phone even though the public would not
    assert [(s["id"], s["contactPhone"]) for s in me["schedules"]] == [
        (str(schedule.id), "+919830011111")
    ]


async def test_an_admin_sees_their_own_account(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    admin = await factories.make_admin(session)
    await session.commit()
    # when
    body = await gql(ME, token=token_for(admin, settings=settings, clock=clock))
    # then
    me = body["data"]["me"]
    assert (me["id"], me["email"], me["schedules"]) == (str(admin.id), "admin@example.org", [])


async def test_without_a_token_me_is_unauthenticated(gql: GraphQLClient) -> None:
    # when
    body = await gql(ME)
    # then
    assert body["data"] is None
    assert error_code(body) == "UNAUTHENTICATED"


async def test_a_forged_token_is_unauthenticated(
    gql: GraphQLClient, session: AsyncSession, clock: FixedClock
) -> None:
    # given
    doctor = await factories.make_doctor(session)
    await session.commit()
    forged = token_for(
        doctor, settings=Settings(secret_key="someone else's secret, long enough"), clock=clock
    )
    # when
    body = await gql(ME, token=forged)
    # then
    assert error_code(body) == "UNAUTHENTICATED"
