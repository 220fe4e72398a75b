"""Finding sessions across doctors: filters, order by start time, pages, only bookable."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import DoctorStatus
from tests.conftest import GraphQLClient
from tests.factories import make_appointment, make_category, make_doctor, make_schedule
from tests.operations import example_variables, operation

FIND = operation("FindSessions")
MONDAY, THURSDAY = 0, 3


def find(first: int | None = 20, after: str | None = None, **changes: Any) -> dict[str, Any]:
    filters = {"from": "2026-12-01", "to": "2026-12-07", "onlyBookable": False}
    return {"filter": filters | changes, "first": first, "after": after}


async def test_sessions_of_matching_doctors_come_by_start_time(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given cardiologists in Kolkata (one in New York time), one elsewhere, one pending
    cardiology = await make_category(session, "Cardiology")
    asha = await make_doctor(session, category=cardiology, name="Dr. Asha")
    await make_schedule(session, asha, weekday=THURSDAY, start_time=time(18))
    early = await make_schedule(
        session, asha, weekday=MONDAY, start_time=time(9), end_time=time(10)
    )
    # 08:00 in New York on Thursday 3 December is 18:30 in Kolkata: after Asha's 18:00
    ravi = await make_doctor(session, category=cardiology, time_zone="America/New_York")
    await make_schedule(session, ravi, weekday=THURSDAY, start_time=time(8), end_time=time(9))
    elsewhere = await make_doctor(session, category=cardiology, city="Delhi")
    await make_schedule(session, elsewhere, weekday=THURSDAY)
    pending = await make_doctor(
        session, category=cardiology, status=DoctorStatus.PENDING_ACTIVATION
    )
    await make_schedule(session, pending, weekday=THURSDAY)
    await session.commit()
    # when
    body = await gql(FIND, find(categoryIds=[str(cardiology.id)], city="kolkata"))
    # then
    edges = body["data"]["findSessions"]["edges"]
    assert [(e["node"]["date"], e["node"]["startsAt"]) for e in edges] == [
        ("2026-12-03", "2026-12-03T18:00:00+05:30"),
        ("2026-12-03", "2026-12-03T08:00:00-05:00"),
        ("2026-12-07", "2026-12-07T09:00:00+05:30"),
    ]
    assert edges[2]["node"]["schedule"]["id"] == str(early.id)
    assert edges[0]["node"]["schedule"]["doctor"] == {
        "publicId": asha.public_id,
        "name": "Dr. Asha",
        "category": {"name": "Cardiology"},
    }


async def test_only_bookable_leaves_out_full_and_not_yet_open_sessions(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a full Thursday and a Monday whose booking opens on the day itself
    doctor = await make_doctor(session)
    full = await make_schedule(session, doctor, weekday=THURSDAY, patient_limit=1)
    await make_appointment(session, full, date(2026, 12, 3))
    await make_schedule(session, doctor, weekday=MONDAY, booking_opens_days_before=0)
    open_one = await make_schedule(session, doctor, weekday=4)
    await session.commit()
    # when
    everything = await gql(FIND, find())
    bookable = await gql(FIND, find(onlyBookable=True))
    # then
    assert [e["node"]["status"] for e in everything["data"]["findSessions"]["edges"]] == [
        "FULL",
        "OPEN",
        "NOT_YET_OPEN",
    ]
    [only] = bookable["data"]["findSessions"]["edges"]
    assert only["node"]["schedule"]["id"] == str(open_one.id)
    assert only["node"]["remaining"] == 10


async def test_pages_follow_the_cursor(gql: GraphQLClient, session: AsyncSession) -> None:
    # given five sessions in the week
    doctor = await make_doctor(session)
    for weekday in range(5):
        await make_schedule(session, doctor, weekday=weekday)
    await session.commit()
    # when
    first = await gql(FIND, find(first=2))
    cursor = first["data"]["findSessions"]["pageInfo"]["endCursor"]
    second = await gql(FIND, find(first=2, after=cursor))
    last = await gql(
        FIND, find(first=2, after=second["data"]["findSessions"]["pageInfo"]["endCursor"])
    )
    # then
    dates = [
        [e["node"]["date"] for e in page["data"]["findSessions"]["edges"]]
        for page in (first, second, last)
    ]
    assert dates == [
        ["2026-12-01", "2026-12-02"],
        ["2026-12-03", "2026-12-04"],
        ["2026-12-07"],
    ]
    assert first["data"]["findSessions"]["pageInfo"]["hasNextPage"] is True
    assert last["data"]["findSessions"]["pageInfo"]["hasNextPage"] is False


async def test_too_many_days_or_too_big_a_page_is_a_bad_request(gql: GraphQLClient) -> None:
    # when
    long_range = await gql(FIND, find(to="2027-02-01"))
    big_page = await gql(FIND, find(first=101))
    # then
    for body in (long_range, big_page):
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_the_frontends_example_is_accepted(gql: GraphQLClient) -> None:
    # when
    body = await gql(FIND, example_variables("FindSessions"))
    # then
    assert body["data"]["findSessions"] == {
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "edges": [],
    }
