"""The authorization matrix: every protected operation, tried by every kind of caller.

Anonymous callers and bad tokens get UNAUTHENTICATED; a signed-in caller in the
wrong role gets FORBIDDEN; doctors (active or pending) act only on their own
account; admins run the admin console but have no doctor profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import DoctorStatus
from db.models import Account
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests import factories
from tests.accounts_support import token_for
from tests.conftest import GraphQLClient
from tests.operations import example_variables, operation

OK, UNAUTHENTICATED, FORBIDDEN = "OK", "UNAUTHENTICATED", "FORBIDDEN"
VIEWERS = ("anonymous", "bad token", "doctor", "pending doctor", "admin")


@dataclass(frozen=True)
class Case:
    name: str
    root: str
    success: str
    variables: dict[str, Any]
    allowed: tuple[str, ...]


def _target(name: str) -> dict[str, Any]:
    # Every id points at the "target" doctor (id 1) or the category (id 1) the fixture makes.
    variables = example_variables(name)
    if "doctorId" in variables:
        variables["doctorId"] = "1"
    return variables


CASES = (
    Case("MyAccount", "me", "", {}, ("doctor", "pending doctor", "admin")),
    Case(
        "ChangePassword",
        "changePassword",
        "AuthPayload",
        example_variables("ChangePassword"),
        ("doctor", "pending doctor", "admin"),
    ),
    Case(
        "UpdateMyProfile",
        "updateMyProfile",
        "ProfileUpdated",
        {"input": {"city": "Howrah"}},
        ("doctor", "pending doctor"),
    ),
    Case("PendingDoctors", "pendingDoctors", "", _target("PendingDoctors"), ("admin",)),
    Case(
        "ActivateDoctor",
        "activateDoctor",
        "DoctorStatusChanged",
        _target("ActivateDoctor"),
        ("admin",),
    ),
    Case(
        "SuspendDoctor",
        "suspendDoctor",
        "DoctorStatusChanged",
        _target("SuspendDoctor"),
        ("admin",),
    ),
    Case("CreateCategory", "createCategory", "CategorySaved", {"name": "Neurology"}, ("admin",)),
    Case(
        "RenameCategory", "renameCategory", "CategorySaved", _target("RenameCategory"), ("admin",)
    ),
)


@pytest.fixture
async def tokens(session: AsyncSession, settings: Settings, clock: FixedClock) -> dict[str, str]:
    category = await factories.make_category(session, "Cardiology")
    await factories.make_doctor(
        session, status=DoctorStatus.PENDING_ACTIVATION, category=category, city="Kolkata"
    )  # the target of admin actions: id 1
    doctor = await factories.make_doctor(session, email="doctor@example.org")
    pending = await factories.make_doctor(
        session, email="pending@example.org", status=DoctorStatus.PENDING_ACTIVATION
    )
    admin = await factories.make_admin(session)
    await session.commit()
    return {
        "bad token": "not.a.token",
        "doctor": token_for(doctor, settings=settings, clock=clock),
        "pending doctor": token_for(pending, settings=settings, clock=clock),
        "admin": token_for(admin, settings=settings, clock=clock),
    }


def expected(case: Case, viewer: str) -> str:
    if viewer in ("anonymous", "bad token"):
        return UNAUTHENTICATED
    return OK if viewer in case.allowed else FORBIDDEN


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
async def test_each_protected_operation_answers_each_kind_of_caller(
    gql: GraphQLClient, tokens: dict[str, str], case: Case, viewer: str
) -> None:
    # when
    body = await gql(operation(case.name), case.variables, token=tokens.get(viewer))
    # then
    outcome = expected(case, viewer)
    if outcome == OK:
        assert "errors" not in body, body
        result = body["data"][case.root]
        if case.success:
            assert result["__typename"] == case.success, result
    else:
        assert body["data"] is None
        assert [error["extensions"]["code"] for error in body["errors"]] == [outcome]


async def test_another_doctor_reads_and_edits_only_their_own_account(
    gql: GraphQLClient, session: AsyncSession, tokens: dict[str, str]
) -> None:
    # when
    me = await gql(operation("MyAccount"), token=tokens["doctor"])
    edited = await gql(
        operation("UpdateMyProfile"), {"input": {"city": "Howrah"}}, token=tokens["doctor"]
    )
    # then: the target doctor (id 1) is untouched
    assert me["data"]["me"]["email"] == "doctor@example.org"
    assert edited["data"]["updateMyProfile"]["account"]["id"] == me["data"]["me"]["id"]
    assert me["data"]["me"]["id"] != "1"
    assert await session.scalar(select(Account.city).where(Account.id == 1)) == "Kolkata"
