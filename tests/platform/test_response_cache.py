"""The response cache: anonymous catalogue answers repeat byte for byte, and never outlive a change."""

from __future__ import annotations

import asyncio
import hashlib
import json
import multiprocessing
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any

import httpx
import pytest
from graphql import GraphQLObjectType, build_schema
from sqlalchemy import text
from starlette.applications import Starlette

from app import create_app
from app.response_cache import Entry, ResponseCache, SharedEpoch
from db.session import Database
from resolvers.platform.clock import FixedClock
from schema.platform.cache_policy import FIELDS, CachePolicy
from settings import Settings
from tests import factories
from tests.accounts_support import token_for
from tests.conftest import StatementLog
from tests.database import direct_url

DIRECTORY = """query Directory($filter: DoctorFilter) {
  doctors(filter: $filter, orderBy: NAME, first: 50) {
    edges { node { id publicId name city category { name } schedules { id weekday fee } } }
  }
}"""
WITH_AVAILABILITY = """query Available {
  doctors(first: 5) { edges { node { name nextAvailableSession { date } } } }
}"""
RENAME_ME = """mutation RenameMe($name: String!) {
  updateMyProfile(input: {name: $name}) { __typename }
}"""
NOT_A_FIELD = "query Broken { doctors(first: 5) { edges { node { nope } } } }"


@pytest.fixture
async def served(
    settings: Settings, clock: FixedClock, database: Database
) -> AsyncIterator[Starlette]:
    """The app with its lifespan running: the worker listens, so the cache is in use.

    Tests ask for their rows before this, so what arranging them announced is past. The
    worker listens on PostgreSQL itself, also in CI's pass through PgBouncer.
    """
    assert settings.database_url is not None
    listening = replace(settings, live_listen_url=direct_url(settings.database_url))
    app = create_app(listening, clock=clock, database=database)
    async with app.router.lifespan_context(app):
        cache: ResponseCache = app.state.response_cache
        for _ in range(200):
            if cache.listening():
                break
            await asyncio.sleep(0.025)
        assert cache.listening()
        yield app


@pytest.fixture
async def http(served: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=served)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def doctor(session: Any, settings: Settings, clock: FixedClock) -> dict[str, Any]:
    category = await factories.make_category(session, "Cardiology")
    account = await factories.make_doctor(session, category=category, name="Dr. Anita Roy")
    await factories.make_schedule(session, account)
    await session.commit()
    return {
        "token": token_for(account, settings=settings, clock=clock),
        "category": str(category.id),
    }


def _post(query: str, variables: dict[str, Any] | None = None) -> bytes:
    return json.dumps({"query": query, "variables": variables or {}}).encode()


async def _send(
    http: httpx.AsyncClient, body: bytes, headers: dict[str, str] | None = None
) -> httpx.Response:
    sent = {"Content-Type": "application/json", **(headers or {})}
    return await http.post("/graphql", content=body, headers=sent)


def _cache(app: Starlette) -> ResponseCache:
    cache: ResponseCache = app.state.response_cache
    return cache


async def _heard_after(cache: ResponseCache, write: Callable[[], Any]) -> None:
    """Run the write, then wait until this worker has heard PostgreSQL announce it."""
    before = cache.stamp()
    await write()
    for _ in range(200):
        if cache.stamp() != before:
            return
        await asyncio.sleep(0.025)
    raise AssertionError("the change was never heard")


async def test_a_repeated_directory_query_is_answered_from_the_cache_byte_for_byte(
    doctor: dict[str, Any],
    served: Starlette,
    http: httpx.AsyncClient,
    count_statements: Callable[..., AbstractContextManager[StatementLog]],
) -> None:
    # given: the directory asked once
    body = _post(DIRECTORY, {"filter": {"categoryIds": [doctor["category"]]}})
    first = await _send(http, body)

    # when: asked again, the same bytes
    with count_statements() as log:
        second = await _send(http, body)

    # then: the cache answered it, without a statement, with the first answer's bytes
    assert first.status_code == second.status_code == 200
    assert "Dr. Anita Roy" in first.text
    assert second.content == first.content
    assert log.count == 0
    assert _cache(served).hits == 1


@pytest.fixture
def deaf(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker hears no announcement: only the shared epoch can drop an answer."""
    monkeypatch.setattr(ResponseCache, "heard", lambda _cache, _payload: None)


async def test_requests_arriving_while_the_same_one_is_answered_wait_for_its_answer(
    doctor: dict[str, Any], served: Starlette, http: httpx.AsyncClient, database: Database
) -> None:
    # given: the first directory request held inside PostgreSQL by a lock on its table
    body = _post(DIRECTORY)
    cache = _cache(served)
    async with database.engine.connect() as locker:
        await locker.execute(text("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE"))
        first = asyncio.create_task(_send(http, body))
        for _ in range(200):
            if cache.pending:
                break
            await asyncio.sleep(0.025)
        assert cache.pending

        # when: four more of the same arrive meanwhile, then the lock goes
        others = [asyncio.create_task(_send(http, body)) for _ in range(4)]
        await asyncio.sleep(0.2)
        await locker.rollback()
    answers = await asyncio.gather(first, *others)

    # then: one execution, four answers from it, all the same bytes
    assert {answer.content for answer in answers} == {answers[0].content}
    assert cache.misses == 1
    assert cache.hits == 4


async def test_after_a_mutation_commits_the_next_read_is_fresh(
    doctor: dict[str, Any], deaf: None, served: Starlette, http: httpx.AsyncClient
) -> None:
    # given: the directory cached, and no announcement heard
    body = _post(DIRECTORY)
    assert "Dr. Anita Roy" in (await _send(http, body)).text
    assert "Dr. Anita Roy" in (await _send(http, body)).text

    # when: the doctor renames themselves, and the directory is asked at once
    renamed = await _send(
        http,
        _post(RENAME_ME, {"name": "Dr. Anita Sen"}),
        {"Authorization": f"Bearer {doctor['token']}"},
    )
    after = await _send(http, body)

    # then: the new name, with no wait for any notification
    assert renamed.json()["data"]["updateMyProfile"]["__typename"] == "ProfileUpdated"
    assert "Dr. Anita Sen" in after.text
    assert "Dr. Anita Roy" not in after.text


async def test_a_change_made_outside_the_api_drops_the_cached_answers_once_announced(
    doctor: dict[str, Any], served: Starlette, http: httpx.AsyncClient, database: Database
) -> None:
    # given: the directory cached
    body = _post(DIRECTORY)
    await _send(http, body)
    assert "Dr. Anita Roy" in (await _send(http, body)).text

    # when: someone renames the doctor in SQL, committed on another connection
    async def rename() -> None:
        async with database.engine.begin() as connection:
            await connection.execute(text("UPDATE accounts SET name = 'Dr. Anita Bose'"))

    await _heard_after(_cache(served), rename)
    after = await _send(http, body)

    # then
    assert "Dr. Anita Bose" in after.text


async def test_after_the_listening_connection_drops_nothing_stored_before_is_served(
    doctor: dict[str, Any], served: Starlette, http: httpx.AsyncClient, database: Database
) -> None:
    # given: the directory cached
    body = _post(DIRECTORY)
    await _send(http, body)
    cache = _cache(served)
    assert len(cache) == 1
    listener = served.state.hub.changes

    # when: PostgreSQL ends the worker's listening connection, and the worker reconnects
    reconnects = listener.reconnects
    async with database.engine.begin() as connection:
        await connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'medimyth-live' AND datname = current_database()"
            )
        )
    for _ in range(400):
        if listener.reconnects > reconnects and cache.listening():
            break
        await asyncio.sleep(0.025)
    again = await _send(http, body)

    # then: what was stored is gone (a change may have passed unheard), and answered anew
    assert listener.reconnects > reconnects
    assert again.status_code == 200
    assert cache.hits == 0
    assert cache.misses == 2


async def test_what_the_clock_or_the_viewer_decides_is_never_cached(
    doctor: dict[str, Any], served: Starlette, http: httpx.AsyncClient
) -> None:
    # given: an answer with availability (the clock's), a viewer's, and one with errors
    requests = [
        (_post(WITH_AVAILABILITY), {}),
        (_post(DIRECTORY), {"Authorization": f"Bearer {doctor['token']}"}),
        (_post(NOT_A_FIELD), {}),
    ]

    # when: each is sent twice
    for body, headers in requests:
        await _send(http, body, headers)
        await _send(http, body, headers)

    # then: none was stored or served from the cache
    assert _cache(served).hits == 0
    assert len(_cache(served)) == 0


async def test_a_worker_that_does_not_hear_changes_does_not_use_the_cache(
    app: Starlette, client: httpx.AsyncClient, doctor: dict[str, Any]
) -> None:
    # given: the app without its lifespan: no listening connection
    body = _post(DIRECTORY)

    # when
    first = await _send(client, body)
    second = await _send(client, body)

    # then: both answered by execution, the same
    assert first.content == second.content
    assert _cache(app).hits == 0
    assert len(_cache(app)) == 0


async def test_a_get_answer_carries_an_etag_and_revalidates_with_304(
    doctor: dict[str, Any], http: httpx.AsyncClient
) -> None:
    # given: the directory by GET
    params = {"query": DIRECTORY}
    first = await http.get("/graphql", params=params, headers={"Accept": "application/json"})

    # when: revalidated with its ETag
    etag = first.headers["etag"]
    again = await http.get(
        "/graphql", params=params, headers={"Accept": "application/json", "If-None-Match": etag}
    )

    # then: public and revalidated every time, 304 without a body
    assert first.status_code == 200
    assert first.headers["cache-control"] == "public, no-cache"
    assert "Authorization" in first.headers["vary"]
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag


async def test_a_viewers_get_answer_is_marked_private(
    doctor: dict[str, Any], http: httpx.AsyncClient
) -> None:
    # when
    answer = await http.get(
        "/graphql",
        params={"query": "{ me { name } }"},
        headers={"Accept": "application/json", "Authorization": f"Bearer {doctor['token']}"},
    )

    # then: no shared cache may keep it
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "private, no-store"
    assert "etag" not in answer.headers


async def test_a_persisted_query_is_found_by_its_hash_once_sent_with_it(
    doctor: dict[str, Any], http: httpx.AsyncClient
) -> None:
    # given: the directory's hash, unknown to the server yet
    digest = hashlib.sha256(DIRECTORY.encode()).hexdigest()
    extensions = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": digest}})
    by_hash = {"extensions": extensions, "variables": "{}"}
    accept = {"Accept": "application/json"}

    # when: asked by hash, then sent with the document, then by hash again
    unknown = await http.get("/graphql", params=by_hash, headers=accept)
    sent = await http.get("/graphql", params={**by_hash, "query": DIRECTORY}, headers=accept)
    known = await http.get("/graphql", params=by_hash, headers=accept)

    # then: Apollo's answer first, then the directory both times
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert unknown.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert "Dr. Anita Roy" in sent.text
    assert known.json() == sent.json()


async def test_a_persisted_query_with_a_wrong_hash_is_refused(http: httpx.AsyncClient) -> None:
    # given: a hash that is not the document's
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}

    # when
    answer = await http.post("/graphql", json={"query": "{ __typename }", "extensions": extensions})

    # then
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_an_answer_computed_while_a_change_was_heard_is_not_stored() -> None:
    # given: a stamp taken before executing, then a change heard
    cache = ResponseCache(epoch=SharedEpoch(), max_bytes=1 << 20, max_entry_bytes=1 << 16)
    stamp = cache.stamp()
    cache.heard("accounts")

    # when: the answer built from the old rows is offered
    cache.put(b"key", Entry(200, [], b"{}", b'"e"', None, stamp))

    # then
    assert cache.get(b"key") is None


def test_the_cache_keeps_to_its_size_dropping_the_least_recently_used() -> None:
    # given: room for about two answers
    cache = ResponseCache(epoch=SharedEpoch(), max_bytes=250, max_entry_bytes=200)

    # when: three are stored, the first read again before the third
    for key in (b"a", b"b"):
        cache.put(key, Entry(200, [], b"x" * 100, b'"e"', None, cache.stamp()))
    cache.get(b"a")
    cache.put(b"c", Entry(200, [], b"x" * 100, b'"e"', None, cache.stamp()))

    # then: the one not read since is gone
    assert cache.get(b"b") is None
    assert cache.get(b"a") is not None
    assert cache.get(b"c") is not None


def _bump(epoch: SharedEpoch) -> None:
    epoch.bump()


def test_a_mutation_in_another_worker_process_moves_this_workers_epoch() -> None:
    # given: the epoch made before the fork, as gunicorn's preloaded app makes it
    epoch = SharedEpoch()
    before = epoch.value

    # when: a forked process bumps it
    child = multiprocessing.get_context("fork").Process(target=_bump, args=(epoch,))
    child.start()
    child.join(10)

    # then: this process sees it
    assert child.exitcode == 0
    assert epoch.value == before + 1


def test_every_field_of_the_cached_types_is_classified(app: Starlette) -> None:
    # given: the schema as served
    schema = build_schema(app.state.schema_sdl)

    # when: the cached types' fields are listed
    missing = [
        f"{name}.{field}"
        for name in FIELDS
        if isinstance(found := schema.get_type(name), GraphQLObjectType)
        for field in found.fields
        if field not in FIELDS[name]
    ]
    unknown = [name for name in FIELDS if schema.get_type(name) is None]

    # then: a new field must be declared cacheable (with its tables) or not
    assert missing == []
    assert unknown == []


def test_a_mutation_and_an_uncacheable_query_are_told_apart(app: Starlette) -> None:
    # given
    policy = CachePolicy(app.state.schema_sdl)

    # when / then
    assert policy.classify(RENAME_ME, None).mutation
    assert policy.classify(DIRECTORY, "Directory").tables == frozenset(
        {"accounts", "categories", "schedules"}
    )
    assert not policy.classify(WITH_AVAILABILITY, None).cacheable
    assert not policy.classify("{ me { name } }", None).cacheable
    assert not policy.classify("query A { __typename } query B { __typename }", None).cacheable
    assert policy.classify("{ __typename }", None).tables == frozenset()
