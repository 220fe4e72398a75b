"""Each security-relevant action leaves one event: who, what, to what, when, from where."""

from __future__ import annotations

import asyncio
from datetime import date, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import DoctorStatus, OtpPurpose
from db.models import Account
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests import factories
from tests.audit_support import CLIENT_ADDRESS, request_id, signed_in_admin, trail
from tests.booking_support import give_code
from tests.conftest import GraphQLClient
from tests.feeds.support import integration_operation
from tests.operations import operation
from tests.scheduling_support import signed_in_doctor

LOGIN = operation("Login")
CHANGE_PASSWORD = operation("ChangePassword")
RESET_PASSWORD = operation("ResetPassword")
ACTIVATE = operation("ActivateDoctor")
SUSPEND = operation("SuspendDoctor")
CREATE_CATEGORY = operation("CreateCategory")
RENAME_CATEGORY = operation("RenameCategory")
CANCEL_APPOINTMENT = operation("CancelAppointment")
DELETE_SCHEDULE = operation("DeleteSchedule")
CREATE_VACATION = operation("CreateVacation")
ROTATE_CALENDAR_FEED = integration_operation("RotateCalendarFeed")
NEW_PASSWORD = "a new long password"
THURSDAY, DEC_3 = 3, date(2026, 12, 3)


def summary(event: dict[str, Any]) -> dict[str, Any]:
    """An event as compared here: every field, the actor by id."""
    actor = event["actor"]
    rest = {key: value for key, value in event.items() if key not in ("id", "actor")}
    return rest | {"actorId": None if actor is None else actor["id"]}


def by_request(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {event["requestId"]: summary(event) for event in events}


def expected(
    name: str,
    action: str,
    *,
    actor: tuple[str, int | None],
    target: tuple[str | None, int | str | None],
    details: dict[str, Any],
    clock: FixedClock,
) -> dict[str, Any]:
    """What the event of the request named ``name`` should say."""
    return {
        "occurredAt": clock.now().isoformat(),
        "action": action,
        "actorKind": actor[0],
        "actorId": None if actor[1] is None else str(actor[1]),
        "targetKind": target[0],
        "targetId": None if target[1] is None else str(target[1]),
        "clientAddress": CLIENT_ADDRESS,
        "requestId": f"audit-test-{name}",
        "details": details,
    }


async def test_sign_ins_and_failures_are_recorded_with_who_where_when_and_which_request(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor = await factories.make_doctor(session, email="asha@example.org")
    await session.commit()
    _, admin_token = await signed_in_admin(session, settings=settings, clock=clock)
    # when
    wrong = await gql(
        LOGIN,
        {"email": "asha@example.org", "password": "not the password 1"},
        headers=request_id("wrong"),
    )
    unknown = await gql(
        LOGIN,
        {"email": "Nobody@Example.org", "password": "whatever 1234"},
        headers=request_id("unknown"),
    )
    right = await gql(
        LOGIN,
        {"email": "asha@example.org", "password": factories.DEFAULT_PASSWORD},
        headers=request_id("right"),
    )
    events = await trail(gql, admin_token)
    # then
    assert [b["data"]["login"]["__typename"] for b in (wrong, unknown, right)] == [
        "InvalidCredentials",
        "InvalidCredentials",
        "AuthPayload",
    ]
    assert [event["requestId"] for event in events] == [
        "audit-test-right",
        "audit-test-unknown",
        "audit-test-wrong",
    ]
    assert by_request(events) == {
        "audit-test-right": expected(
            "right",
            "LOGIN_SUCCEEDED",
            actor=("DOCTOR", doctor.id),
            target=("ACCOUNT", doctor.id),
            details={},
            clock=clock,
        ),
        "audit-test-unknown": expected(
            "unknown",
            "LOGIN_FAILED",
            actor=("ANONYMOUS", None),
            target=(None, None),
            details={"reason": "NO_SUCH_ACCOUNT", "email": "nobody@example.org"},
            clock=clock,
        ),
        "audit-test-wrong": expected(
            "wrong",
            "LOGIN_FAILED",
            actor=("ANONYMOUS", None),
            target=("ACCOUNT", doctor.id),
            details={"reason": "WRONG_PASSWORD"},
            clock=clock,
        ),
    }
    # no password, right or wrong, is ever kept
    assert "password" not in str(events).replace("WRONG_PASSWORD", "")


async def test_password_changes_failed_changes_and_resets_are_recorded(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(
        session, settings=settings, clock=clock, email="asha@example.org", phone="+919830011111"
    )
    _, admin_token = await signed_in_admin(session, settings=settings, clock=clock)
    code = await give_code(
        session, "+919830011111", settings=settings, clock=clock, purpose=OtpPurpose.RESET_PASSWORD
    )
    await session.commit()
    # when
    missed = await gql(
        CHANGE_PASSWORD,
        {"currentPassword": "not the password 1", "newPassword": NEW_PASSWORD},
        token=token,
        headers=request_id("missed"),
    )
    changed = await gql(
        CHANGE_PASSWORD,
        {"currentPassword": factories.DEFAULT_PASSWORD, "newPassword": NEW_PASSWORD},
        token=token,
        headers=request_id("changed"),
    )
    reset = await gql(
        RESET_PASSWORD,
        {
            "input": {
                "email": "asha@example.org",
                "phone": "9830011111",
                "newPassword": "another long password",
                "otpCode": code,
            }
        },
        headers=request_id("reset"),
    )
    found = by_request(await trail(gql, admin_token))
    # then
    assert missed["data"]["changePassword"]["__typename"] == "InvalidCredentials"
    assert changed["data"]["changePassword"]["__typename"] == "AuthPayload"
    assert reset["data"]["resetPassword"]["__typename"] == "PasswordChanged"
    assert found == {
        f"audit-test-{name}": expected(
            name, action, actor=actor, target=("ACCOUNT", doctor.id), details={}, clock=clock
        )
        for name, action, actor in [
            ("missed", "PASSWORD_CHANGE_FAILED", ("DOCTOR", doctor.id)),
            ("changed", "PASSWORD_CHANGED", ("DOCTOR", doctor.id)),
            # a code proves a phone, not a sign-in
            ("reset", "PASSWORD_RESET", ("ANONYMOUS", None)),
        ]
    }


async def test_activations_suspensions_and_category_changes_are_recorded_as_the_admin(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor = await factories.make_doctor(session, status=DoctorStatus.PENDING_ACTIVATION)
    await session.commit()
    admin, token = await signed_in_admin(session, settings=settings, clock=clock)
    # when
    await gql(ACTIVATE, {"doctorId": str(doctor.id)}, token=token, headers=request_id("activate"))
    await gql(
        SUSPEND,
        {"doctorId": str(doctor.id), "reason": "Complaints; call me on +91 98300 12345"},
        token=token,
        headers=request_id("suspend"),
    )
    created = await gql(
        CREATE_CATEGORY, {"name": "Cardiology"}, token=token, headers=request_id("create")
    )
    category_id = created["data"]["createCategory"]["category"]["id"]
    await gql(
        RENAME_CATEGORY,
        {"id": category_id, "name": "Heart"},
        token=token,
        headers=request_id("rename"),
    )
    found = by_request(await trail(gql, token))
    # then
    by_admin = ("ADMIN", admin.id)
    assert found == {
        "audit-test-activate": expected(
            "activate",
            "DOCTOR_ACTIVATED",
            actor=by_admin,
            target=("ACCOUNT", doctor.id),
            details={"from": "PENDING_ACTIVATION", "publicId": "MMD-1"},
            clock=clock,
        ),
        "audit-test-suspend": expected(
            "suspend",
            "DOCTOR_SUSPENDED",
            actor=by_admin,
            target=("ACCOUNT", doctor.id),
            # the reason is kept, a phone number in it is not
            details={"from": "ACTIVE", "reason": "Complaints; call me on [number]"},
            clock=clock,
        ),
        "audit-test-create": expected(
            "create",
            "CATEGORY_CREATED",
            actor=by_admin,
            target=("CATEGORY", category_id),
            details={"name": "Cardiology"},
            clock=clock,
        ),
        "audit-test-rename": expected(
            "rename",
            "CATEGORY_RENAMED",
            actor=by_admin,
            target=("CATEGORY", category_id),
            details={"from": "Cardiology", "to": "Heart"},
            clock=clock,
        ),
    }


async def test_a_doctors_cancellation_and_schedule_deletion_are_recorded_as_the_doctor(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a booking in one schedule and two in another
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    kept = await factories.make_schedule(session, doctor, weekday=THURSDAY)
    dropped = await factories.make_schedule(
        session, doctor, weekday=THURSDAY, start_time=time(9, 0), end_time=time(11, 0)
    )
    appointment = await factories.make_appointment(session, kept, DEC_3)
    for _ in range(2):
        await factories.make_appointment(session, dropped, DEC_3)
    await session.commit()
    _, admin_token = await signed_in_admin(session, settings=settings, clock=clock)
    # when
    cancelled = await gql(
        CANCEL_APPOINTMENT,
        {"id": str(appointment.id), "reason": "Emergency surgery"},
        token=token,
        headers=request_id("cancel"),
    )
    deleted = await gql(
        DELETE_SCHEDULE,
        {"id": str(dropped.id), "reason": "Clinic closed"},
        token=token,
        headers=request_id("delete"),
    )
    found = by_request(await trail(gql, admin_token))
    # then
    assert cancelled["data"]["cancelAppointment"]["__typename"] == "AppointmentCancelled"
    assert deleted["data"]["deleteSchedule"]["cancelledAppointments"] == 2
    by_doctor = ("DOCTOR", doctor.id)
    assert found == {
        "audit-test-cancel": expected(
            "cancel",
            "APPOINTMENT_CANCELLED_BY_DOCTOR",
            actor=by_doctor,
            target=("APPOINTMENT", appointment.id),
            details={
                "publicId": appointment.public_id,
                "scheduleId": kept.id,
                "sessionDate": "2026-12-03",
                "reason": "Emergency surgery",
            },
            clock=clock,
        ),
        "audit-test-delete": expected(
            "delete",
            "SCHEDULE_DELETED",
            actor=by_doctor,
            target=("SCHEDULE", dropped.id),
            details={"cancelledAppointments": 2, "reason": "Clinic closed"},
            clock=clock,
        ),
    }
    # the patients' names and phones stay on their appointments, out of the trail
    assert str(appointment.patient_phone) not in str(found)
    assert appointment.patient_name not in str(found)


async def test_refused_actions_and_repeats_leave_no_record(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given an active doctor with an already cancelled booking, and a taken category name
    doctor, doctor_token = await signed_in_doctor(session, settings=settings, clock=clock)
    schedule = await factories.make_schedule(session, doctor, weekday=THURSDAY)
    appointment = await factories.make_appointment(
        session, schedule, DEC_3, status="CANCELLED_BY_PATIENT", cancelled_at=clock.now()
    )
    taken = await factories.make_category(session, "Cardiology")
    other = await factories.make_category(session, "Neurology")
    await session.commit()
    _, token = await signed_in_admin(session, settings=settings, clock=clock)
    # when each is refused (or changes nothing) and answers a typed result
    answers = [
        await gql(ACTIVATE, {"doctorId": str(doctor.id)}, token=token),  # already active
        await gql(ACTIVATE, {"doctorId": "999"}, token=token),
        await gql(SUSPEND, {"doctorId": "999", "reason": None}, token=token),
        await gql(CREATE_CATEGORY, {"name": " "}, token=token),
        await gql(CREATE_CATEGORY, {"name": "cardiology"}, token=token),
        await gql(RENAME_CATEGORY, {"id": str(other.id), "name": "CARDIOLOGY"}, token=token),
        await gql(RENAME_CATEGORY, {"id": "999", "name": "Heart"}, token=token),
        await gql(
            CANCEL_APPOINTMENT, {"id": str(appointment.id), "reason": "x"}, token=doctor_token
        ),
        await gql(DELETE_SCHEDULE, {"id": "999", "reason": None}, token=doctor_token),
        await gql(
            CHANGE_PASSWORD,
            {"currentPassword": factories.DEFAULT_PASSWORD, "newPassword": "short"},
            token=doctor_token,
        ),
    ]
    body = await gql(operation("Categories"), {})
    # then
    assert [next(iter(answer["data"].values()))["__typename"] for answer in answers] == [
        "DoctorStatusChanged",
        "NotFound",
        "NotFound",
        "ValidationFailed",
        "AlreadyExists",
        "AlreadyExists",
        "NotFound",
        "NotAllowed",
        "NotFound",
        "ValidationFailed",
    ]
    assert {c["name"] for c in body["data"]["categories"]} == {taken.name, other.name}
    assert await trail(gql, token) == []


async def test_two_admins_creating_one_name_at_once_leave_one_category_and_one_record(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    _, first = await signed_in_admin(session, settings=settings, clock=clock)
    _, second = await signed_in_admin(
        session, settings=settings, clock=clock, email="other.admin@example.org"
    )
    # when both send the same new name at the same time, a few times over
    answers = await asyncio.gather(
        *(
            gql(CREATE_CATEGORY, {"name": f"Specialty {n}"}, token=token)
            for n in range(5)
            for token in (first, second)
        )
    )
    events = await trail(gql, first, action="CATEGORY_CREATED")
    # then each name was saved once, and recorded once, with the id it was saved under
    saved = {
        a["data"]["createCategory"]["category"]["id"]: a["data"]["createCategory"]["category"]
        for a in answers
        if a["data"]["createCategory"]["__typename"] == "CategorySaved"
    }
    assert sorted(c["name"] for c in saved.values()) == [f"Specialty {n}" for n in range(5)]
    assert {e["targetId"]: e["details"]["name"] for e in events} == {
        key: category["name"] for key, category in saved.items()
    }


async def test_a_vacation_that_cancels_bookings_is_recorded_and_one_that_cancels_none_is_not(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given two bookings on Thursday 3 December, none in January
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    schedule = await factories.make_schedule(session, doctor, weekday=THURSDAY)
    for _ in range(2):
        await factories.make_appointment(session, schedule, DEC_3)
    await session.commit()
    _, admin_token = await signed_in_admin(session, settings=settings, clock=clock)

    def vacation(start: str, end: str) -> dict[str, Any]:
        return {
            "input": {
                "start": start,
                "end": end,
                "reason": "Conference",
                "scheduleIds": None,
                "cancelAffected": True,
            }
        }

    # when
    hit = await gql(
        CREATE_VACATION,
        vacation("2026-12-02", "2026-12-04"),
        token=token,
        headers=request_id("hit"),
    )
    quiet = await gql(
        CREATE_VACATION,
        vacation("2027-01-04", "2027-01-08"),
        token=token,
        headers=request_id("quiet"),
    )
    found = by_request(await trail(gql, admin_token))
    # then
    assert hit["data"]["createVacation"]["cancelledAppointments"] == 2
    assert quiet["data"]["createVacation"]["cancelledAppointments"] == 0
    assert found == {
        "audit-test-hit": expected(
            "hit",
            "APPOINTMENTS_CANCELLED_FOR_VACATION",
            actor=("DOCTOR", doctor.id),
            target=("VACATION", hit["data"]["createVacation"]["vacation"]["id"]),
            details={
                "start": "2026-12-02",
                "end": "2026-12-04",
                "scheduleIds": [schedule.id],
                "cancelledAppointments": 2,
                "reason": "Conference",
            },
            clock=clock,
        )
    }


async def test_a_feed_rotation_is_recorded_without_either_url(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    old_token = doctor.calendar_feed_token
    _, admin_token = await signed_in_admin(session, settings=settings, clock=clock)
    # when
    body = await gql(ROTATE_CALENDAR_FEED, token=token, headers=request_id("rotate"))
    events = await trail(gql, admin_token)
    # then
    assert body["data"]["rotateCalendarFeed"]["__typename"] == "CalendarFeedRotated"
    new_token = await session.scalar(
        select(Account.calendar_feed_token).where(Account.id == doctor.id)
    )
    assert by_request(events) == {
        "audit-test-rotate": expected(
            "rotate",
            "CALENDAR_FEED_ROTATED",
            actor=("DOCTOR", doctor.id),
            target=("ACCOUNT", doctor.id),
            details={},
            clock=clock,
        )
    }
    assert old_token not in str(events)
    assert new_token is not None
    assert new_token != old_token
    assert new_token not in str(events)


CREATE_WEBHOOK = integration_operation("CreateWebhookEndpoint")
ROTATE_WEBHOOK = integration_operation("RotateWebhookSecret")
DELETE_WEBHOOK = integration_operation("DeleteWebhookEndpoint")
RECEIVER = "http://127.0.0.1:9/hooks?token=the-receivers-own"


async def test_webhook_endpoint_changes_are_recorded_without_secrets_or_the_url_path(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a doctor with an endpoint of their own, and an admin to read the trail
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    _, admin_token = await signed_in_admin(session, settings=settings, clock=clock)
    created = await gql(
        CREATE_WEBHOOK,
        {"input": {"url": RECEIVER, "events": ["APPOINTMENT_BOOKED"]}},
        token=token,
        headers=request_id("hook-create"),
    )
    endpoint = created["data"]["createWebhookEndpoint"]
    endpoint_id = int(endpoint["endpoint"]["id"])
    # when it is rotated and deleted
    rotated = await gql(
        ROTATE_WEBHOOK, {"id": str(endpoint_id)}, token=token, headers=request_id("hook-rotate")
    )
    await gql(
        DELETE_WEBHOOK, {"id": str(endpoint_id)}, token=token, headers=request_id("hook-delete")
    )
    events = await trail(gql, admin_token)
    # then each change is the doctor's, on that endpoint, naming only its host
    details = {"host": "127.0.0.1", "allDoctors": False}
    assert by_request(events) == {
        f"audit-test-hook-{step}": expected(
            f"hook-{step}",
            action,
            actor=("DOCTOR", doctor.id),
            target=("WEBHOOK", endpoint_id),
            details=details,
            clock=clock,
        )
        for step, action in (
            ("create", "WEBHOOK_ENDPOINT_CREATED"),
            ("rotate", "WEBHOOK_SECRET_ROTATED"),
            ("delete", "WEBHOOK_ENDPOINT_DELETED"),
        )
    }
    assert endpoint["secret"] not in str(events)
    assert rotated["data"]["rotateWebhookSecret"]["secret"] not in str(events)
    assert "the-receivers-own" not in str(events)
