"""Inputs the fuzzer found answered with INTERNAL_SERVER_ERROR; each now gets a typed or coded answer."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import DoctorStatus
from resolvers.platform.clock import FixedClock
from schema.platform.ids import NO_SUCH_ID, int_id
from settings import Settings
from tests import factories
from tests.accounts_support import token_for
from tests.conftest import GraphQLClient
from tests.operations import example_variables, operation

ACTIVATE = operation("ActivateDoctor")
SUSPEND = operation("SuspendDoctor")
CREATE_CATEGORY = operation("CreateCategory")
SET_STATUS = operation("SetAppointmentStatus")
SEARCH = operation("SearchDoctors")


def test_an_id_of_unicode_digits_names_nothing() -> None:
    # when
    ids = [int_id(raw) for raw in ("³", "¹2", "٣", " 12 ")]
    # then: "³".isdigit() is true, but int() refuses it; "٣" would be 3 to int()
    assert ids == [NO_SUCH_ID, NO_SUCH_ID, NO_SUCH_ID, 12]


async def test_a_superscript_id_is_not_found(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor = await factories.make_doctor(session)
    await session.commit()
    token = token_for(doctor, settings=settings, clock=clock)
    # when
    body = await gql(SET_STATUS, {"id": "³", "status": "ARRIVED"}, token=token)
    # then
    assert "errors" not in body
    assert body["data"]["setAppointmentStatus"]["__typename"] == "NotFound"


async def test_a_nul_character_in_a_category_name_is_bad_user_input(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    admin = await factories.make_admin(session)
    await session.commit()
    token = token_for(admin, settings=settings, clock=clock)
    # when
    body = await gql(CREATE_CATEGORY, {"name": "Cardio\x00logy"}, token=token)
    # then
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "NUL" in body["errors"][0]["message"]


async def test_a_nul_character_in_a_search_is_bad_user_input(gql: GraphQLClient) -> None:
    # given
    variables = example_variables("SearchDoctors")
    variables["filter"] = {"search": "asha\x00"}
    # when
    body = await gql(SEARCH, variables)
    # then
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_failing_field_beside_a_shared_loader_read_does_not_cancel_the_other_readers(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a doctor with two schedules; each schedule's doctor asks for an invalid date range
    # (an error) beside nextAvailableSession, which the outer doctor asks for too (the same
    # loader keys). graphql-core cancels the failing object's sibling fields, and cancelling
    # a task cancels the future it awaits: the loader's cached future, shared with the outer.
    doctor = await factories.make_doctor(session)
    for weekday in (1, 3):
        await factories.make_schedule(session, doctor, weekday=weekday)
    await session.commit()
    query = """
    query ($publicId: String!) {
      doctor(publicId: $publicId) {
        nextAvailableSession { date }
        schedules {
          doctor {
            sessions(from: "2026-12-20", to: "2026-12-01") { status }
            nextAvailableSession { date }
          }
        }
      }
    }
    """
    # when
    body = await gql(query, {"publicId": f"MMD-{doctor.public_number}"})
    # then the invalid range is the client's mistake, and nothing else failed
    codes = {error["extensions"]["code"] for error in body["errors"]}
    assert codes == {"BAD_USER_INPUT"}


async def test_activating_an_active_doctor_and_suspending_a_suspended_one_answer_the_account(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    active = await factories.make_doctor(session)
    suspended = await factories.make_doctor(session, status=DoctorStatus.SUSPENDED)
    admin = await factories.make_admin(session)
    await session.commit()
    token = token_for(admin, settings=settings, clock=clock)
    # when: nothing changes, so the transaction ends early
    activated = await gql(ACTIVATE, {"doctorId": str(active.id)}, token=token)
    suspended_again = await gql(SUSPEND, {"doctorId": str(suspended.id)}, token=token)
    # then the account comes back as it is, not an INTERNAL_SERVER_ERROR
    assert activated["data"]["activateDoctor"]["account"] == {
        "id": str(active.id),
        "publicId": active.public_id,
        "status": "ACTIVE",
    }
    assert suspended_again["data"]["suspendDoctor"]["account"]["status"] == "SUSPENDED"
