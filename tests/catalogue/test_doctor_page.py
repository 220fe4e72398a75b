"""Categories and DoctorPage's profile: public counts and profiles show active doctors only."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import DoctorStatus
from settings import PoolMode, Settings
from tests import factories
from tests.conftest import GraphQLClient
from tests.operations import operation

CATEGORIES = operation("Categories")
DOCTOR_PAGE = operation("DoctorPage")
PROFILE = operation("DoctorPage", without=("sessions",))
DATES = {"from": "2026-12-01", "to": "2026-12-14"}


async def test_categories_count_only_active_doctors(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given
    cardiology = await factories.make_category(session, "Cardiology")
    await factories.make_category(session, "Anesthesiology")
    await factories.make_doctor(session, category=cardiology)
    await factories.make_doctor(session, category=cardiology)
    await factories.make_doctor(
        session, category=cardiology, status=DoctorStatus.PENDING_ACTIVATION
    )
    await factories.make_doctor(session, category=cardiology, status=DoctorStatus.SUSPENDED)
    await session.commit()
    # when
    body = await gql(CATEGORIES)
    # then
    assert body["data"]["categories"] == [
        {"id": "2", "name": "Anesthesiology", "activeDoctorCount": 0},
        {"id": "1", "name": "Cardiology", "activeDoctorCount": 2},
    ]


async def test_a_doctors_page_shows_the_public_profile(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given
    cardiology = await factories.make_category(session, "Cardiology")
    doctor = await factories.make_doctor(
        session,
        category=cardiology,
        name="Asha Rao",
        email="asha@example.org",
        phone="+919830011111",
        registration_number="WBMC-12345",
        phone_visible=False,
        profile_picture_url="https://example.org/asha.jpg",
    )
    schedule = await factories.make_schedule(session, doctor, contact_phone=None)
    await session.commit()
    # when
    body = await gql(DOCTOR_PAGE, {**DATES, "publicId": "mmd-1"})
    # then
    page = body["data"]["doctor"]
    assert page["publicId"] == "MMD-1"
    assert page["name"] == "Asha Rao"
    assert page["category"] == {"id": "1", "name": "Cardiology"}
    assert (page["email"], page["phone"], page["registrationNumber"]) == (
        "asha@example.org",
        None,
        "WBMC-12345",
    )
    assert page["profilePictureUrl"] == "https://example.org/asha.jpg"
    # the hidden phone does not leak through the schedule's fallback either
    assert [(s["id"], s["contactPhone"]) for s in page["schedules"]] == [(str(schedule.id), None)]


async def test_pending_suspended_and_unknown_doctors_have_no_page(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given
    suspended = await factories.make_doctor(session, status=DoctorStatus.SUSPENDED)
    suspended.public_number = 7
    await factories.make_doctor(session, status=DoctorStatus.PENDING_ACTIVATION)
    await session.commit()
    # when
    pages = [
        (await gql(DOCTOR_PAGE, {**DATES, "publicId": public_id}))["data"]["doctor"]
        for public_id in ("MMD-7", "MMD-2", "MMD-x", "nonsense")
    ]
    # then
    assert pages == [None, None, None, None]


CONTACT_PHONES = """
query ContactPhones($publicId: String!) {
  doctor(publicId: $publicId) { schedules { clinicName contactPhone } }
  doctors(first: 5, orderBy: NAME) { edges { node { schedules { clinicName contactPhone } } } }
}
"""


async def test_a_schedules_contact_phone_is_its_own_else_the_doctors_shown_phone(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given: a doctor who shows their phone, one chamber with a phone of its own, one without
    doctor = await factories.make_doctor(session, phone="+919830022222", phone_visible=True)
    await factories.make_schedule(
        session, doctor, clinic_name="Own line", contact_phone="+919830033333"
    )
    await factories.make_schedule(session, doctor, clinic_name="Doctor's line", contact_phone=None)
    await session.commit()
    # when: on the doctor page and in the directory
    body = await gql(CONTACT_PHONES, {"publicId": "MMD-1"})
    # then
    expected = {"Own line": "+919830033333", "Doctor's line": "+919830022222"}
    page = body["data"]["doctor"]["schedules"]
    [node] = [edge["node"] for edge in body["data"]["doctors"]["edges"]]
    for schedules in (page, node["schedules"]):
        assert {s["clinicName"]: s["contactPhone"] for s in schedules} == expected


SCHEDULES_BOTH_WAYS = """
query Schedules($publicId: String!) {
  doctor(publicId: $publicId) { publicId schedules { id weekday weeksOfMonth startTime } }
  doctors(first: 5, orderBy: NAME) {
    edges { node { publicId schedules { id weekday weeksOfMonth startTime } } }
  }
}
"""


async def test_a_doctors_page_lists_the_active_schedules_as_the_directory_does(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given: schedules stored out of order, one of them inactive, and a doctor with none
    doctor = await factories.make_doctor(session, name="A")
    await factories.make_doctor(session, name="B")
    friday = await factories.make_schedule(session, doctor, weekday=5, weeks_of_month=[-1, 1])
    await factories.make_schedule(
        session, doctor, weekday=2, is_active=False, deactivated_at=datetime.now(UTC)
    )
    late_monday = await factories.make_schedule(session, doctor, weekday=1, start_time=time(19))
    early_monday = await factories.make_schedule(session, doctor, weekday=1, start_time=time(9))
    await session.commit()

    # when
    with_schedules = await gql(SCHEDULES_BOTH_WAYS, {"publicId": "MMD-1"})
    without = await gql(SCHEDULES_BOTH_WAYS, {"publicId": "MMD-2"})

    # then: active ones only, by weekday then start time, the same on both paths
    page = with_schedules["data"]["doctor"]["schedules"]
    assert [s["id"] for s in page] == [str(s.id) for s in (early_monday, late_monday, friday)]
    assert [s["weeksOfMonth"] for s in page] == [[], [], ["FIRST", "LAST"]]
    listed = {
        edge["node"]["publicId"]: edge["node"]["schedules"]
        for edge in with_schedules["data"]["doctors"]["edges"]
    }
    assert listed["MMD-1"] == page
    assert without["data"]["doctor"] == {"publicId": "MMD-2", "schedules": []}


async def test_a_doctors_profile_costs_one_statement(
    gql: GraphQLClient, session: AsyncSession, count_statements: Any, settings: Settings
) -> None:
    # given: a doctor with a category and two schedules
    cardiology = await factories.make_category(session, "Cardiology")
    doctor = await factories.make_doctor(session, category=cardiology)
    await factories.make_schedule(session, doctor, weekday=1)
    await factories.make_schedule(session, doctor, weekday=4)
    await session.commit()

    # when: the page without sessions (the profile)
    with count_statements() as log:
        body = await gql(PROFILE, {"publicId": "MMD-1"})

    # then: the doctor, their category's name and their schedules come in one statement
    # (plus the transaction's settings behind a transaction pooler)
    assert "errors" not in body
    assert body["data"]["doctor"]["category"]["name"] == "Cardiology"
    assert len(body["data"]["doctor"]["schedules"]) == 2
    expected = 2 if settings.db_pool_mode is PoolMode.TRANSACTION else 1
    assert log.count == expected, log.statements
