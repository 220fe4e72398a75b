"""Managing endpoints: who may, what they see, the secret shown once and stored encrypted."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import DoctorStatus
from db.models import WebhookEndpoint
from resolvers.platform.clock import FixedClock
from resolvers.platform.keys import Keyring, keyring_of
from resolvers.webhooks.secrets import new_secret, seal, unseal
from settings import Settings
from tests.accounts_support import error_code, token_for
from tests.conftest import GraphQLClient
from tests.factories import make_admin, make_doctor
from tests.webhooks.receiver import integration_variables
from tests.webhooks.support import CREATE, DELETE, ENDPOINTS, ROTATE, SEND_TEST, register

URL = "http://127.0.0.1:9/hooks"
CREATE_CHECKED = """
mutation CreateChecked($input: WebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    __typename
    ... on ValidationFailed { code errors { field code } }
  }
}
"""


async def test_the_secret_is_shown_once_and_stored_only_encrypted(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given an admin
    admin = await make_admin(session)
    await session.commit()
    token = token_for(admin, settings=settings, clock=clock)
    # when they register the frontend's example endpoint, then list their endpoints
    body = await gql(CREATE, integration_variables("CreateWebhookEndpoint"), token=token)
    listed = await gql(ENDPOINTS, token=token)
    # then the answer holds a whsec_ secret of at least 24 random bytes
    created = body["data"]["createWebhookEndpoint"]
    assert created["__typename"] == "WebhookEndpointCreated"
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    assert created["endpoint"] | {"id": "", "createdAt": ""} == {
        "id": "",
        "url": "https://clinic.example.org/hooks/medimyth",
        "events": ["APPOINTMENT_BOOKED", "APPOINTMENT_CANCELLED", "SESSION_DELAYED"],
        "enabled": True,
        "createdAt": "",
    }
    # and the listing never shows it again
    assert secret not in str(listed)
    assert listed["data"]["webhookEndpoints"][0]["description"] == "front desk system"
    # and the database holds a ciphertext only the server's key opens
    stored = await session.scalar(select(WebhookEndpoint.secret))
    assert stored is not None
    assert secret.encode() not in stored
    assert base64.b64decode(secret.removeprefix("whsec_")) not in stored
    assert unseal(stored, keyring=keyring_of(settings)) == secret


async def test_a_doctor_sees_and_manages_only_their_own_endpoints_and_admins_all(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given endpoints of an admin and of two doctors
    admin = await make_admin(session)
    asha, vikram = await make_doctor(session), await make_doctor(session)
    await session.commit()
    token = {who: token_for(who, settings=settings, clock=clock) for who in (admin, asha, vikram)}
    await register(gql, token[admin], URL + "/admin")
    await register(gql, token[asha], URL + "/asha")
    vikrams = (await register(gql, token[vikram], URL + "/vikram"))["endpoint"]["id"]
    # when each lists them, and Asha goes after Vikram's endpoint
    seen = {
        who: [
            e["url"] for e in (await gql(ENDPOINTS, token=token[who]))["data"]["webhookEndpoints"]
        ]
        for who in (admin, asha, vikram)
    }
    tries = [
        (await gql(operation, {"id": vikrams}, token=token[asha]))["data"]
        for operation in (SEND_TEST, ROTATE, DELETE)
    ]
    # then each doctor sees their own, the admin every one
    assert seen[admin] == [URL + "/admin", URL + "/asha", URL + "/vikram"]
    assert seen[asha] == [URL + "/asha"]
    assert seen[vikram] == [URL + "/vikram"]
    # and another doctor's endpoint does not exist for Asha
    assert [next(iter(answer.values()))["__typename"] for answer in tries] == ["NotFound"] * 3
    # and an admin may delete any endpoint
    deleted = await gql(DELETE, {"id": vikrams}, token=token[admin])
    assert deleted["data"]["deleteWebhookEndpoint"] == {
        "__typename": "WebhookEndpointDeleted",
        "id": vikrams,
    }
    assert await session.scalar(select(WebhookEndpoint.id).where(WebhookEndpoint.id == 3)) is None


async def test_bad_endpoints_get_a_typed_answer_naming_the_field(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a doctor
    doctor = await make_doctor(session)
    await session.commit()
    token = token_for(doctor, settings=settings, clock=clock)
    cases: list[tuple[dict[str, Any], tuple[str, str]]] = [
        ({"url": "not a url at all"}, ("url", "INVALID_FORMAT")),
        ({"url": "ftp://clinic.example.org/hooks"}, ("url", "INVALID_FORMAT")),
        ({"url": "https://user:pw@clinic.example.org/"}, ("url", "INVALID_FORMAT")),
        ({"url": "http://10.1.2.3/hooks"}, ("url", "INVALID_FORMAT")),
        ({"url": "http://169.254.169.254/latest/meta-data"}, ("url", "INVALID_FORMAT")),
        ({"description": "x" * 501}, ("description", "TOO_LONG")),
        ({"events": []}, ("events", "REQUIRED")),
        ({"events": ["WEBHOOK_TEST"]}, ("events", "INVALID_CHOICE")),
        ({"events": ["DOCTOR_ACTIVATED"]}, ("events", "INVALID_CHOICE")),
    ]
    # when each is sent
    answers = []
    for change, _ in cases:
        values: dict[str, Any] = {"url": URL, "description": None, "events": ["APPOINTMENT_BOOKED"]}
        values |= change
        body = await gql(CREATE_CHECKED, {"input": values}, token=token)
        answers.append(body["data"]["createWebhookEndpoint"])
    # then each is ValidationFailed on its field, and nothing was saved
    assert [answer["__typename"] for answer in answers] == ["ValidationFailed"] * len(cases)
    assert [(answer["errors"][0]["field"], answer["errors"][0]["code"]) for answer in answers] == [
        expected for _, expected in cases
    ]
    assert await session.scalar(select(WebhookEndpoint.id)) is None


async def test_only_admins_and_doctors_in_good_standing_manage_endpoints(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a suspended doctor
    suspended = await make_doctor(session, status=DoctorStatus.SUSPENDED)
    await session.commit()
    variables = {"input": {"url": URL, "events": ["APPOINTMENT_BOOKED"]}}
    # when the public and the suspended doctor try
    anonymous = await gql(CREATE, variables)
    listing = await gql(ENDPOINTS)
    refused = await gql(
        CREATE, variables, token=token_for(suspended, settings=settings, clock=clock)
    )
    # then they are refused with codes, not typed answers
    assert error_code(anonymous) == "UNAUTHENTICATED"
    assert error_code(listing) == "UNAUTHENTICATED"
    assert error_code(refused) == "FORBIDDEN"


def test_a_secret_sealed_before_a_server_key_rotation_still_opens_after_it() -> None:
    # given a secret sealed under the old server key
    secret = new_secret()
    sealed = seal(secret, keyring=Keyring.of("old server key " * 3))
    # when SECRET_KEY rotates (the old one listed in SECRET_KEY_PREVIOUS)
    rotated = Keyring.of("new server key " * 3, "old server key " * 3)
    # then the secret opens, and a keyring without the old key cannot open it
    assert unseal(sealed, keyring=rotated) == secret
    with pytest.raises(InvalidTag):
        unseal(sealed, keyring=Keyring.of("new server key " * 3))
