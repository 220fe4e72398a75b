"""Admins page through the trail newest first, by action or actor; nobody else reads it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.accounts_support import error_code
from tests.audit_support import AUDIT_EVENTS, signed_in_admin, trail
from tests.conftest import GraphQLClient
from tests.operations import operation
from tests.scheduling_support import signed_in_doctor

CREATE_CATEGORY = operation("CreateCategory")
RENAME_CATEGORY = operation("RenameCategory")


async def test_admins_page_through_the_trail_newest_first(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given five recorded actions
    _, token = await signed_in_admin(session, settings=settings, clock=clock)
    for n in range(5):
        await gql(CREATE_CATEGORY, {"name": f"Specialty {n}"}, token=token)
    # when
    first = (await gql(AUDIT_EVENTS, {"first": 2}, token=token))["data"]["auditEvents"]
    second = (
        await gql(AUDIT_EVENTS, {"first": 2, "after": first["pageInfo"]["endCursor"]}, token=token)
    )["data"]["auditEvents"]
    last = (
        await gql(AUDIT_EVENTS, {"first": 2, "after": second["pageInfo"]["endCursor"]}, token=token)
    )["data"]["auditEvents"]
    # then
    names = [
        [edge["node"]["details"]["name"] for edge in page["edges"]]
        for page in (first, second, last)
    ]
    assert names == [
        ["Specialty 4", "Specialty 3"],
        ["Specialty 2", "Specialty 1"],
        ["Specialty 0"],
    ]
    assert [page["pageInfo"]["hasNextPage"] for page in (first, second, last)] == [
        True,
        True,
        False,
    ]
    assert [page["totalCount"] for page in (first, second, last)] == [5, 5, 5]


async def test_admins_filter_the_trail_by_action_and_by_actor(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given two admins' creations and one rename
    first_admin, first = await signed_in_admin(session, settings=settings, clock=clock)
    second_admin, second = await signed_in_admin(
        session, settings=settings, clock=clock, email="other.admin@example.org"
    )
    created = await gql(CREATE_CATEGORY, {"name": "Cardiology"}, token=first)
    await gql(CREATE_CATEGORY, {"name": "Neurology"}, token=second)
    category_id = created["data"]["createCategory"]["category"]["id"]
    await gql(RENAME_CATEGORY, {"id": category_id, "name": "Heart"}, token=second)
    # when
    renames = await trail(gql, first, action="CATEGORY_RENAMED")
    by_second = await trail(gql, first, actorId=str(second_admin.id))
    by_first_renaming = await trail(
        gql, first, actorId=str(first_admin.id), action="CATEGORY_RENAMED"
    )
    by_nobody = await trail(gql, first, actorId="not an id")
    # then
    assert [(e["action"], e["details"]) for e in renames] == [
        ("CATEGORY_RENAMED", {"from": "Cardiology", "to": "Heart"})
    ]
    assert [(e["action"], e["actor"]["id"]) for e in by_second] == [
        ("CATEGORY_RENAMED", str(second_admin.id)),
        ("CATEGORY_CREATED", str(second_admin.id)),
    ]
    assert by_first_renaming == []
    assert by_nobody == []


async def test_only_admins_read_the_trail(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a recorded action, a doctor and the public
    _, admin_token = await signed_in_admin(session, settings=settings, clock=clock)
    await gql(CREATE_CATEGORY, {"name": "Cardiology"}, token=admin_token)
    _, doctor_token = await signed_in_doctor(session, settings=settings, clock=clock)
    # when
    anonymous = await gql(AUDIT_EVENTS, {"first": 10})
    doctor = await gql(AUDIT_EVENTS, {"first": 10}, token=doctor_token)
    # then
    assert (error_code(anonymous), anonymous["data"]) == ("UNAUTHENTICATED", None)
    assert (error_code(doctor), doctor["data"]) == ("FORBIDDEN", None)


async def test_a_page_over_a_hundred_or_an_unreadable_cursor_is_bad_user_input(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    _, token = await signed_in_admin(session, settings=settings, clock=clock)
    # when
    too_many = await gql(AUDIT_EVENTS, {"first": 101}, token=token)
    unreadable = await gql(AUDIT_EVENTS, {"first": 10, "after": "nope"}, token=token)
    # then
    assert error_code(too_many) == "BAD_USER_INPUT"
    assert error_code(unreadable) == "BAD_USER_INPUT"
