"""Request budgets: a flood gets 429 with a true Retry-After, other clients are served, workers share."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from app import budgets, create_app
from app.graphiql.assets import load_bundle
from db.enums import AccountRole
from db.models import RequestBudget
from db.session import Database
from resolvers.accounts.tokens import issue_token
from resolvers.platform.budgets import address_key
from resolvers.platform.clock import FixedClock
from resolvers.platform.errors import ErrorCode
from resolvers.platform.keys import keyring_of
from schema.platform.errors import TOP_LEVEL_CODES
from settings import Settings, SettingsError
from tests.conftest import StatementLog

TYPENAME = "query Typename { __typename }"
ATTACKER = "203.0.113.7"
NEIGHBOUR = "198.51.100.20"
# Small budgets keep the floods short; the rule is the same at any size.
PER_ADDRESS = 5
PER_ACCOUNT = 8

MakeClient = Callable[..., httpx.AsyncClient]


@pytest.fixture
def budget_settings(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings, request_budget_per_address=PER_ADDRESS, request_budget_per_account=PER_ACCOUNT
    )


@pytest.fixture
async def make_client(clock: FixedClock) -> AsyncIterator[MakeClient]:
    """A client calling from ``address`` into an app (a worker) over ``database``."""
    clients: list[httpx.AsyncClient] = []

    def make(app: Starlette, address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def worker(budget_settings: Settings, clock: FixedClock, database: Database) -> Starlette:
    return create_app(budget_settings, clock=clock, database=database)


async def post(client: httpx.AsyncClient, *, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post("/graphql", json={"query": TYPENAME}, headers=headers)


def token_for(settings: Settings, clock: FixedClock, account_id: int) -> str:
    return issue_token(
        keyring=keyring_of(settings),
        account_id=account_id,
        role=AccountRole.DOCTOR,
        version=1,
        now=clock.now(),
        ttl=timedelta(hours=1),
    ).token


async def test_a_flood_from_one_address_gets_429_while_another_address_is_served(
    worker: Starlette, make_client: MakeClient
) -> None:
    # given an attacker and a neighbour calling the same worker
    attacker, neighbour = make_client(worker, ATTACKER), make_client(worker, NEIGHBOUR)
    # when the attacker sends more than a budget's worth at once, and the neighbour one
    flood = [await post(attacker) for _ in range(PER_ADDRESS + 3)]
    served = await post(neighbour)
    # then the budget's worth is served, the rest refused with a coded body and Retry-After
    assert [r.status_code for r in flood] == [200] * PER_ADDRESS + [429] * 3
    refused = flood[-1]
    # a budget of 5 a minute refills one every 12 seconds
    assert refused.headers["retry-after"] == "12"
    assert refused.json() == {
        "errors": [
            {
                "message": "Too many requests: try again in 12 seconds.",
                "extensions": {"code": "RATE_LIMITED", "retryAfter": 12},
            }
        ]
    }
    assert refused.headers["content-type"] == "application/json"
    assert refused.headers["x-request-id"]  # the outer middleware still dresses the answer
    assert served.status_code == 200
    assert served.json() == {"data": {"__typename": "Query"}}


async def test_a_page_of_an_allowed_origin_can_read_the_refusal_and_when_to_retry(
    budget_settings: Settings, clock: FixedClock, database: Database, make_client: MakeClient
) -> None:
    # given a worker that lets one origin's pages call it
    origin = "https://app.medimyth.example"
    cors = dataclasses.replace(budget_settings, cors_origins=(origin,))
    attacker = make_client(create_app(cors, clock=clock, database=database), ATTACKER)
    for _ in range(PER_ADDRESS):
        await post(attacker)
    # when the page is refused
    refused = await attacker.post("/graphql", json={"query": TYPENAME}, headers={"Origin": origin})
    # then the browser lets it read the answer and the Retry-After header
    assert refused.status_code == 429
    assert refused.headers["access-control-allow-origin"] == origin
    assert "retry-after" in refused.headers["access-control-expose-headers"].lower()


async def test_retry_after_is_true_to_the_second(
    worker: Starlette, make_client: MakeClient, clock: FixedClock
) -> None:
    # given an address that spent its budget
    attacker = make_client(worker, ATTACKER)
    for _ in range(PER_ADDRESS):
        await post(attacker)
    retry_after = int((await post(attacker)).headers["retry-after"])
    # when it comes back a second early, then on time, then at once again
    clock.advance(timedelta(seconds=retry_after - 1))
    early = await post(attacker)
    clock.advance(timedelta(seconds=1))
    on_time = await post(attacker)
    again = await post(attacker)
    # then early is refused with the one second left, on time is served, and only one fit
    assert (early.status_code, early.headers["retry-after"]) == (429, "1")
    assert on_time.status_code == 200
    assert (again.status_code, again.headers["retry-after"]) == (429, "12")


async def test_a_quiet_minute_makes_the_whole_budget_available_again(
    worker: Starlette, make_client: MakeClient, clock: FixedClock
) -> None:
    # given an address that spent its budget and was refused
    attacker = make_client(worker, ATTACKER)
    for _ in range(PER_ADDRESS + 1):
        await post(attacker)
    # when a minute passes
    clock.advance(timedelta(minutes=1))
    burst = [await post(attacker) for _ in range(PER_ADDRESS + 1)]
    # then a whole budget fits at once again, and no more
    assert [r.status_code for r in burst] == [200] * PER_ADDRESS + [429]


async def test_two_workers_share_one_budget(
    budget_settings: Settings, clock: FixedClock, make_client: MakeClient
) -> None:
    # given two workers, each with its own engine and pool, over the same database
    databases = [Database(budget_settings), Database(budget_settings)]
    try:
        first, second = (
            make_client(create_app(budget_settings, clock=clock, database=db), ATTACKER)
            for db in databases
        )
        # when one address spends part of its budget on each worker, then asks the first
        on_first = [await post(first) for _ in range(3)]
        on_second = [await post(second) for _ in range(PER_ADDRESS - 3)]
        over = await post(first)
        # then the first worker knows what was spent on the second
        assert [r.status_code for r in on_first + on_second] == [200] * PER_ADDRESS
        assert over.status_code == 429
    finally:
        for db in databases:
            await db.dispose()


async def test_concurrent_requests_across_workers_never_overspend(
    settings: Settings, clock: FixedClock, make_client: MakeClient
) -> None:
    # given a budget of 10 and two workers with their own pools over the same database
    budget = dataclasses.replace(settings, request_budget_per_address=10)
    databases = [Database(budget), Database(budget)]
    try:
        clients = [
            make_client(create_app(budget, clock=clock, database=db), ATTACKER) for db in databases
        ]
        # when 40 requests from one address arrive at once, 20 on each worker
        answers = await asyncio.gather(*(post(clients[i % 2]) for i in range(40)))
        # then exactly the budget's worth is served, whatever the interleaving
        statuses = [answer.status_code for answer in answers]
        assert statuses.count(200) == 10
        assert statuses.count(429) == 30
    finally:
        for db in databases:
            await db.dispose()


async def test_signed_in_requests_spend_their_accounts_budget_not_their_addresss(
    worker: Starlette,
    make_client: MakeClient,
    budget_settings: Settings,
    clock: FixedClock,
) -> None:
    # given a clinic's address whose anonymous budget is spent, and a doctor signed in there
    clinic, elsewhere = make_client(worker, ATTACKER), make_client(worker, NEIGHBOUR)
    for _ in range(PER_ADDRESS + 1):
        await post(clinic)
    token = token_for(budget_settings, clock, account_id=42)
    # when the doctor calls from the clinic and from elsewhere, past the account's budget
    at_clinic = [await post(clinic, token=token) for _ in range(PER_ACCOUNT // 2)]
    from_elsewhere = [await post(elsewhere, token=token) for _ in range(PER_ACCOUNT // 2 + 1)]
    other_doctor = await post(clinic, token=token_for(budget_settings, clock, account_id=43))
    # then the account's budget is one across addresses, and another account has its own
    assert [r.status_code for r in at_clinic + from_elsewhere] == [200] * PER_ACCOUNT + [429]
    assert from_elsewhere[-1].json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert other_doctor.status_code == 200


async def test_a_token_that_does_not_verify_is_budgeted_by_address(
    worker: Starlette, make_client: MakeClient
) -> None:
    # given an attacker inventing a fresh token for every request
    attacker = make_client(worker, ATTACKER)
    # when it floods with them
    flood = [await post(attacker, token=f"forged.token.{n}") for n in range(PER_ADDRESS + 1)]
    # then its address pays for each: an unverified token buys no budget of its own
    assert [r.status_code for r in flood] == [200] * PER_ADDRESS + [429]


async def test_health_checks_and_graphiql_assets_are_exempt(
    worker: Starlette,
    make_client: MakeClient,
    count_statements: Callable[..., AbstractContextManager[StatementLog]],
) -> None:
    # given an address over its budget
    attacker = make_client(worker, ATTACKER)
    for _ in range(PER_ADDRESS + 1):
        await post(attacker)
    # when it asks for the probes and GraphiQL's script, then GraphQL again
    with count_statements() as log:
        healthz = await attacker.get("/healthz")
        asset = await attacker.get(f"/static/graphiql/{load_bundle().script.name}")
    readyz = await attacker.get("/readyz")
    graphql = await post(attacker)
    # then the probes and the asset are served without touching a budget; GraphQL is not
    assert (healthz.status_code, asset.status_code, readyz.status_code) == (200, 200, 200)
    assert log.count == 0
    assert graphql.status_code == 429


async def test_a_budgeted_request_costs_one_statement_and_a_known_refusal_none(
    worker: Starlette,
    make_client: MakeClient,
    count_statements: Callable[..., AbstractContextManager[StatementLog]],
) -> None:
    # given an address with budget left, and one just refused
    neighbour, attacker = make_client(worker, NEIGHBOUR), make_client(worker, ATTACKER)
    for _ in range(PER_ADDRESS + 1):
        await post(attacker)
    # when each sends a request that needs no data
    with count_statements() as served:
        assert (await post(neighbour)).status_code == 200
    with count_statements() as refused:
        assert (await post(attacker)).status_code == 429
    # then the charge is the one statement sent, and the refusal is answered from memory
    assert served.count == 1
    assert "request_budgets" in served.statements[0]
    assert refused.count == 0


async def test_each_worker_prunes_whole_budgets_now_and_then(
    worker: Starlette,
    make_client: MakeClient,
    database: Database,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a worker that prunes every third charge, and an address last seen a minute ago
    monkeypatch.setattr(budgets, "PRUNE_EVERY", 3)
    await post(make_client(worker, NEIGHBOUR))
    clock.advance(timedelta(minutes=1))
    attacker = make_client(worker, ATTACKER)
    # when a second request is charged, then a third
    await post(attacker)
    before = await _budget_keys(database)
    await post(attacker)
    # then the third charge forgot the whole budget, and kept the one being spent
    assert before == {address_key(NEIGHBOUR), address_key(ATTACKER)}
    assert await _budget_keys(database) == {address_key(ATTACKER)}


async def _budget_keys(database: Database) -> set[str]:
    async with database.session() as session:
        return set((await session.execute(select(RequestBudget.key))).scalars())


async def test_with_budgets_off_nothing_is_charged(
    settings: Settings,
    clock: FixedClock,
    database: Database,
    make_client: MakeClient,
    count_statements: Callable[..., AbstractContextManager[StatementLog]],
) -> None:
    # given budgets turned off (0), as the tests' own settings have them
    app = create_app(settings, clock=clock, database=database)
    client = make_client(app, ATTACKER)
    # when one address sends many requests
    with count_statements() as log:
        answers = [await post(client) for _ in range(PER_ADDRESS * 3)]
    # then all are served and none touched the database
    assert {answer.status_code for answer in answers} == {200}
    assert log.count == 0


async def test_requests_go_through_when_the_budgets_cannot_be_read(
    budget_settings: Settings,
    clock: FixedClock,
    make_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given a worker whose database refuses connections (nothing listens on port 1)
    unreachable = dataclasses.replace(
        budget_settings,
        database_url="postgresql+asyncpg://postgres@127.0.0.1:1/medimyth",
        db_pool_timeout=1.0,
    )
    database = Database(unreachable)
    try:
        client = make_client(create_app(unreachable, clock=clock, database=database), ATTACKER)
        # when one address sends more than its budget of requests that need no data
        answers = [await post(client) for _ in range(PER_ADDRESS + 2)]
    finally:
        await database.dispose()
    # then every one is served (an outage is no reason to refuse), and one warning says why
    assert {answer.status_code for answer in answers} == {200}
    warnings = [r for r in caplog.records if r.name == "medimyth.budgets"]
    assert len(warnings) == 1
    assert "request budgets unavailable" in warnings[0].getMessage()


def test_budgets_default_to_600_an_address_and_1200_an_account_a_minute() -> None:
    # when
    defaults = Settings.from_env({})
    tuned = Settings.from_env(
        {"REQUEST_BUDGET_PER_ADDRESS": "0", "REQUEST_BUDGET_PER_ACCOUNT": "5"}
    )
    # then
    assert (defaults.request_budget_per_address, defaults.request_budget_per_account) == (600, 1200)
    assert (tuned.request_budget_per_address, tuned.request_budget_per_account) == (0, 5)


@pytest.mark.parametrize("name", ["REQUEST_BUDGET_PER_ADDRESS", "REQUEST_BUDGET_PER_ACCOUNT"])
@pytest.mark.parametrize("value", ["-1", "many"])
def test_a_bad_budget_is_refused_with_the_setting_named(name: str, value: str) -> None:
    # when / then
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_rate_limited_is_one_of_the_documented_top_level_codes() -> None:
    # then every code a top-level error may carry is documented, RATE_LIMITED among them
    assert ErrorCode.RATE_LIMITED in TOP_LEVEL_CODES
    assert set(TOP_LEVEL_CODES) == set(ErrorCode)
