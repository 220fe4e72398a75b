"""Test helpers for signed-in requests and one-time codes, as a real client would get them."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import NotificationChannel
from db.models import Account, Notification
from resolvers.accounts.tokens import issue_token
from resolvers.platform.clock import FixedClock
from resolvers.platform.keys import keyring_of
from settings import Settings
from tests.conftest import GraphQLClient
from tests.operations import operation

REQUEST_OTP = operation("RequestOtp")
_CODE = re.compile(r"\b(\d{6})\b")


async def sent_code(session: AsyncSession, phone: str) -> str:
    """The code in the newest SMS queued for the phone (E.164), read from the outbox."""
    body = await session.scalar(
        select(Notification.body)
        .where(Notification.channel == NotificationChannel.SMS, Notification.recipient == phone)
        .order_by(Notification.id.desc())
        .limit(1)
    )
    assert body is not None, f"no SMS was queued for {phone}"
    match = _CODE.search(body)
    assert match is not None, body
    return match.group(1)


async def request_code(
    gql: GraphQLClient, session: AsyncSession, *, phone: str, purpose: str
) -> str:
    """Ask for a code through the API, then read it from the outbox as the phone would."""
    body = await gql(REQUEST_OTP, {"phone": phone, "purpose": purpose})
    sent = body["data"]["requestOtp"]
    assert sent["__typename"] == "OtpSent", sent
    return await sent_code(session, sent["phone"])


def token_for(account: Account, *, settings: Settings, clock: FixedClock) -> str:
    """A valid bearer token for the account, as login would issue it."""
    return issue_token(
        keyring=keyring_of(settings),
        account_id=account.id,
        role=account.role,
        version=account.token_version,
        now=clock.now(),
        ttl=timedelta(minutes=settings.access_token_ttl_minutes),
    ).token


def error_code(body: dict[str, Any]) -> str:
    """The extensions.code of the response's only top-level error."""
    errors = body.get("errors")
    assert errors, body
    assert len(errors) == 1, errors
    code: str = errors[0]["extensions"]["code"]
    return code
