"""The entry for whoever holds its manage token: its place in line, and leaving it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import WaitlistStatus
from settings import Settings
from tests.conftest import GraphQLClient
from tests.waitlist_support import DEC_3, entries_of, full_session, make_entry, patients_operation

MY_ENTRY = patients_operation("MyWaitlistEntry")
LEAVE = patients_operation("LeaveWaitlist")


async def test_the_holder_sees_the_entry_its_place_and_its_session(
    gql: GraphQLClient, session: AsyncSession, settings: Settings
) -> None:
    # given two patients in line
    full = await full_session(session, seats=1)
    await make_entry(session, full.schedule, DEC_3, settings=settings)
    second, token = await make_entry(
        session, full.schedule, DEC_3, settings=settings, patient_phone="+919830011111"
    )
    await session.commit()
    # when
    body = await gql(MY_ENTRY, {"publicId": second.public_id, "manageToken": token})
    # then
    assert body["data"]["myWaitlistEntry"] == {
        "publicId": "MMW-2",
        "status": "WAITING",
        "position": 2,
        "appointment": None,
        "session": {
            "date": "2026-12-03",
            "startsAt": "2026-12-03T18:00:00+05:30",
            "status": "FULL",
        },
    }


async def test_a_wrong_token_or_id_finds_nothing(
    gql: GraphQLClient, session: AsyncSession, settings: Settings
) -> None:
    # given
    full = await full_session(session, seats=1)
    entry, token = await make_entry(session, full.schedule, DEC_3, settings=settings)
    await session.commit()
    # when
    answers = [
        await gql(MY_ENTRY, variables)
        for variables in (
            {"publicId": entry.public_id, "manageToken": "guess"},
            {"publicId": "MMW-999", "manageToken": token},
            {"publicId": "MMA-1", "manageToken": token},
            {"publicId": "nonsense", "manageToken": token},
        )
    ]
    leave = await gql(LEAVE, {"publicId": entry.public_id, "manageToken": "guess"})
    # then
    assert [answer["data"]["myWaitlistEntry"] for answer in answers] == [None] * 4
    assert leave["data"]["leaveWaitlist"] == {
        "__typename": "NotFound",
        "message": "No waitlist entry with this id and manage token.",
    }
    assert [e.status for e in await entries_of(session)] == [WaitlistStatus.WAITING]


async def test_leaving_moves_everyone_behind_up_and_cannot_be_repeated(
    gql: GraphQLClient, session: AsyncSession, settings: Settings
) -> None:
    # given three patients in line
    full = await full_session(session, seats=1)
    made = [
        await make_entry(
            session, full.schedule, DEC_3, settings=settings, patient_phone=f"+91983001111{n}"
        )
        for n in range(3)
    ]
    await session.commit()
    (first, first_token), _, (third, third_token) = made
    # when the first leaves, then tries again
    left = await gql(LEAVE, {"publicId": first.public_id, "manageToken": first_token})
    again = await gql(LEAVE, {"publicId": first.public_id, "manageToken": first_token})
    # then
    assert left["data"]["leaveWaitlist"] == {
        "__typename": "WaitlistLeft",
        "entry": {"publicId": "MMW-1", "status": "LEFT"},
    }
    assert again["data"]["leaveWaitlist"] == {
        "__typename": "NotAllowed",
        "message": "This entry has already left the waitlist.",
    }
    seen = await gql(MY_ENTRY, {"publicId": third.public_id, "manageToken": third_token})
    assert seen["data"]["myWaitlistEntry"]["position"] == 2
    gone = await gql(MY_ENTRY, {"publicId": first.public_id, "manageToken": first_token})
    assert gone["data"]["myWaitlistEntry"]["position"] is None
    assert gone["data"]["myWaitlistEntry"]["status"] == "LEFT"
