"""OTP sending budgets: per client address, per number series and in all, per clock hour.

The walks send 1,000 distinct numbers, as an SMS pumper would, and count what reached
the outbox. DEFAULT_NOW is 03:30 UTC, so every hourly window frees up in 1,800 s.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta

import httpx
import phonenumbers
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from app import create_app
from db.enums import NotificationChannel, OtpBudgetScope, OtpPurpose
from db.models import Notification, OtpSendCount
from db.session import Database
from resolvers.accounts import codes
from resolvers.platform.clock import FixedClock
from resolvers.platform.errors import RateLimited
from resolvers.platform.keys import keyring_of
from resolvers.platform.otp import OtpSent
from settings import Settings
from tests.conftest import GraphQLClient, StatementLog
from tests.operations import operation

REQUEST_OTP = operation("RequestOtp")
TO_NEXT_HOUR = 1800  # DEFAULT_NOW is 03:30 UTC


def one_series(count: int) -> list[str]:
    """``count`` national numbers of one series (+91 98300 ...), as a range is walked."""
    return [f"98300{i:05d}" for i in range(count)]


def many_series(count: int) -> list[str]:
    """``count`` valid Indian mobile numbers, each in a series of its own (+91 9xxxx ...)."""
    numbers = []
    for series in range(90000, 100000):
        national = f"{series}12345"
        parsed = phonenumbers.parse("+91" + national)
        if phonenumbers.number_type(parsed) is phonenumbers.PhoneNumberType.MOBILE:
            numbers.append(national)
        if len(numbers) == count:
            return numbers
    raise AssertionError("not enough mobile series")


def address(i: int) -> str:
    return f"10.{i // 62500}.{i // 250 % 250}.{i % 250 + 1}"


async def ask(
    session: AsyncSession, settings: Settings, clock: FixedClock, *, phone: str, client: str
) -> object:
    """RequestOtp through its resolver, as the root field calls it."""
    return await codes.request_code(
        session=session,
        phone=phone,
        purpose=OtpPurpose.BOOK_APPOINTMENT,
        now=clock.now(),
        keyring=keyring_of(settings),
        client_address=client,
        settings=settings,
    )


async def sms_count(session: AsyncSession) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.channel == NotificationChannel.SMS)
    )
    return count or 0


@pytest.mark.slow
async def test_one_address_walking_1000_numbers_sends_exactly_its_hourly_budget(
    gql: GraphQLClient, session: AsyncSession, settings: Settings
) -> None:
    # when: one client (the test client's 127.0.0.1) walks 1,000 numbers through the API
    answers = []
    for phone in one_series(1000):
        body = await gql(REQUEST_OTP, {"phone": phone, "purpose": "BOOK_APPOINTMENT"})
        answers.append(body["data"]["requestOtp"])
    # then
    budget = settings.otp_sends_per_address_per_hour
    assert budget == 10
    assert [a["__typename"] for a in answers[:budget]] == ["OtpSent"] * budget
    refused = answers[budget:]
    assert {a["__typename"] for a in refused} == {"RateLimited"}
    assert {a["retryAfter"] for a in refused} == {TO_NEXT_HOUR}
    assert {a["message"] for a in refused} == {
        "Too many codes were requested from this network; try again later."
    }
    assert await sms_count(session) == budget


@pytest.mark.slow
async def test_many_addresses_walking_one_series_stop_at_the_series_budget(
    session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # when: 1,000 clients, one number each, all in +91 98300
    answers = [
        await ask(session, settings, clock, phone=phone, client=address(i))
        for i, phone in enumerate(one_series(1000))
    ]
    # then
    budget = settings.otp_sends_per_prefix_per_hour
    assert budget == 30
    assert all(isinstance(a, OtpSent) for a in answers[:budget])
    assert set(answers[budget:]) == {
        RateLimited(
            retry_after=TO_NEXT_HOUR,
            message="Too many codes were sent to numbers like this one; try again later.",
        )
    }
    assert await sms_count(session) == budget
    # and a refused client's own budget was not spent: it reaches another series
    other = await ask(session, settings, clock, phone="9830112345", client=address(999))
    assert isinstance(other, OtpSent)


@pytest.mark.slow
async def test_many_addresses_walking_many_series_stop_at_the_global_budget_and_warn_once(
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given
    caplog.set_level(logging.WARNING, logger="medimyth.otp")
    # when: 1,000 clients, each number in a series of its own
    answers = [
        await ask(session, settings, clock, phone=phone, client=address(i))
        for i, phone in enumerate(many_series(1000))
    ]
    # then
    budget = settings.otp_sends_per_hour
    assert budget == 300
    assert Counter(type(a).__name__ for a in answers) == {"OtpSent": 300, "RateLimited": 700}
    assert all(isinstance(a, OtpSent) for a in answers[:budget])
    assert set(answers[budget:]) == {
        RateLimited(
            retry_after=TO_NEXT_HOUR,
            message="We are sending too many codes right now; try again later.",
        )
    }
    assert await sms_count(session) == budget
    warnings = [r for r in caplog.records if r.name == "medimyth.otp"]
    assert [r.levelno for r in warnings] == [logging.WARNING]
    assert warnings[0].event == "otp_budget_exhausted"  # type: ignore[attr-defined]
    assert warnings[0].sends == budget  # type: ignore[attr-defined]
    assert "OTP_SENDS_PER_HOUR" in warnings[0].getMessage()


async def test_retry_after_is_when_the_window_frees_a_slot(
    session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given: the address's budget spent
    numbers = one_series(12)
    for phone in numbers[:10]:
        assert isinstance(
            await ask(session, settings, clock, phone=phone, client="192.0.2.7"), OtpSent
        )
    refused = await ask(session, settings, clock, phone=numbers[10], client="192.0.2.7")
    assert isinstance(refused, RateLimited)
    # when: one second early, then on time
    clock.advance(timedelta(seconds=refused.retry_after - 1))
    early = await ask(session, settings, clock, phone=numbers[10], client="192.0.2.7")
    clock.advance(timedelta(seconds=1))
    on_time = await ask(session, settings, clock, phone=numbers[10], client="192.0.2.7")
    # then
    assert early == RateLimited(
        retry_after=1,
        message="Too many codes were requested from this network; try again later.",
    )
    assert isinstance(on_time, OtpSent)


async def test_a_refused_request_spends_no_budget(
    session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given: a phone refused by its own per-minute limit, five times
    first, *others = one_series(10)
    assert isinstance(await ask(session, settings, clock, phone=first, client="192.0.2.7"), OtpSent)
    for _ in range(5):
        again = await ask(session, settings, clock, phone=first, client="192.0.2.7")
        assert isinstance(again, RateLimited)
    # when
    answers = [await ask(session, settings, clock, phone=p, client="192.0.2.7") for p in others]
    # then: the address still had nine sends left
    assert all(isinstance(a, OtpSent) for a in answers)
    counted = await session.scalar(
        select(OtpSendCount.sends).where(OtpSendCount.scope == OtpBudgetScope.ADDRESS)
    )
    assert counted == 10


async def test_an_ipv6_client_is_counted_by_its_64_block(
    session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given: ten sends from ten addresses of one /64
    numbers = one_series(12)
    for i, phone in enumerate(numbers[:10]):
        sent = await ask(session, settings, clock, phone=phone, client=f"2001:db8:1:2::{i + 1:x}")
        assert isinstance(sent, OtpSent)
    # when
    same_block = await ask(
        session, settings, clock, phone=numbers[10], client="2001:db8:1:2:ffff::9"
    )
    next_block = await ask(session, settings, clock, phone=numbers[11], client="2001:db8:1:3::1")
    # then
    assert isinstance(same_block, RateLimited)
    assert isinstance(next_block, OtpSent)


async def test_budgets_are_settings(
    session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    tight = dataclasses.replace(
        settings, otp_sends_per_address_per_hour=2, otp_sends_per_prefix_per_hour=3
    )
    numbers = one_series(5)
    # when
    from_one = [await ask(session, tight, clock, phone=p, client="192.0.2.7") for p in numbers[:3]]
    from_others = [
        await ask(session, tight, clock, phone=p, client=address(i))
        for i, p in enumerate(numbers[3:])
    ]
    # then
    assert [type(a).__name__ for a in from_one] == ["OtpSent", "OtpSent", "RateLimited"]
    assert [type(a).__name__ for a in from_others] == ["OtpSent", "RateLimited"]


async def test_the_next_hour_starts_a_fresh_budget_and_a_day_of_old_counts_is_kept(
    session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given: counts of this hour, and of 25 hours ago
    await ask(session, settings, clock, phone="9830012345", client="192.0.2.7")
    clock.advance(timedelta(hours=-25))
    await ask(session, settings, clock, phone="9830012346", client="192.0.2.8")
    clock.advance(timedelta(hours=26))
    # when: the first code of the next hour
    sent = await ask(session, settings, clock, phone="9830012347", client="192.0.2.7")
    # then
    assert isinstance(sent, OtpSent)
    windows = Counter((await session.execute(select(OtpSendCount.window_start))).scalars().all())
    assert sorted(w.hour for w in windows) == [3, 4]
    assert windows.total() == 6  # address, series and global of both kept hours


async def clients_from(app: Starlette, addresses: list[str]) -> list[httpx.AsyncClient]:
    return [
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(host, 40000)),
            base_url="http://testserver",
        )
        for host in addresses
    ]


async def send_all(clients: list[httpx.AsyncClient], phones: list[str]) -> list[str]:
    """POST RequestOtp from each client at once; the answers' typenames."""

    async def one(client: httpx.AsyncClient, phone: str) -> str:
        response = await client.post(
            "/graphql",
            json={
                "query": REQUEST_OTP,
                "variables": {"phone": phone, "purpose": "BOOK_APPOINTMENT"},
            },
        )
        typename: str = response.json()["data"]["requestOtp"]["__typename"]
        return typename

    try:
        return await asyncio.gather(*(one(c, p) for c, p in zip(clients, phones, strict=True)))
    finally:
        for client in clients:
            await client.aclose()


async def test_concurrent_requests_from_one_address_send_exactly_its_budget(
    app: Starlette, session: AsyncSession
) -> None:
    # given
    clients = await clients_from(app, ["192.0.2.7"] * 40)
    # when
    answers = await send_all(clients, one_series(40))
    # then
    assert Counter(answers) == {"OtpSent": 10, "RateLimited": 30}
    assert await sms_count(session) == 10


async def test_concurrent_requests_from_many_addresses_send_exactly_the_global_budget(
    settings: Settings,
    clock: FixedClock,
    database: Database,
    session: AsyncSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given: a global budget of 15, and 40 clients asking for 40 series at once
    caplog.set_level(logging.WARNING, logger="medimyth.otp")
    app = create_app(
        dataclasses.replace(settings, otp_sends_per_hour=15), clock=clock, database=database
    )
    clients = await clients_from(app, [address(i) for i in range(40)])
    # when
    answers = await send_all(clients, many_series(40))
    # then
    assert Counter(answers) == {"OtpSent": 15, "RateLimited": 25}
    assert await sms_count(session) == 15
    counted = await session.scalar(
        select(OtpSendCount.sends).where(OtpSendCount.scope == OtpBudgetScope.GLOBAL)
    )
    assert counted == 15
    assert len([r for r in caplog.records if r.name == "medimyth.otp"]) == 1


async def test_all_three_budgets_cost_one_statement_and_a_refusal_writes_nothing(
    gql: GraphQLClient,
    session: AsyncSession,
    count_statements: Callable[..., AbstractContextManager[StatementLog]],
) -> None:
    # given: nine codes from this address
    numbers = one_series(11)
    for phone in numbers[:9]:
        await gql(REQUEST_OTP, {"phone": phone, "purpose": "BOOK_APPOINTMENT"})
    # when: the tenth is sent, the eleventh refused
    with count_statements() as sent_log:
        sent = await gql(REQUEST_OTP, {"phone": numbers[9], "purpose": "BOOK_APPOINTMENT"})
    with count_statements() as refused_log:
        refused = await gql(REQUEST_OTP, {"phone": numbers[10], "purpose": "BOOK_APPOINTMENT"})
    # then
    assert sent["data"]["requestOtp"]["__typename"] == "OtpSent"
    assert refused["data"]["requestOtp"]["__typename"] == "RateLimited"
    for log in (sent_log, refused_log):
        assert len([s for s in log.statements if "otp_send_counts" in s]) == 1
    challenges = [
        [s for s in log.statements if "INSERT INTO otp_challenges" in s]
        for log in (sent_log, refused_log)
    ]
    assert [len(inserts) for inserts in challenges] == [1, 0]
    assert await sms_count(session) == 10
