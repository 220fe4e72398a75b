"""Production mode: no introspection, GraphiQL or suggestions unless enabled; bugs answered masked."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

import httpx
import pytest

from resolvers.catalogue import categories
from settings import Settings
from tests.hardening.conftest import codes, messages, post
from tests.operations import operation

INTROSPECTION = "{ __schema { queryType { name } } }"
TYPE_INTROSPECTION = '{ __type(name: "Doctor") { name } }'
MISSPELLED_FIELD = "{ doctors { totalCont } }"
MISSPELLED_ARGUMENT = "{ doctors(frist: 1) { totalCount } }"
MISSPELLED_ENUM = "{ doctors(orderBy: NAM) { totalCount } }"
CATEGORIES = "{ categories { id name } }"
ME = "{ me { id } }"
HTML = {"Accept": "text/html"}


@pytest.mark.parametrize("query", [INTROSPECTION, TYPE_INTROSPECTION])
async def test_production_refuses_introspection(
    production: httpx.AsyncClient, client: httpx.AsyncClient, query: str
) -> None:
    # when
    refused = await post(production, query)
    served = await post(client, query)
    # then
    assert set(codes(refused)) == {"BAD_USER_INPUT"}, refused
    assert "introspection has been disabled" in messages(refused)[0]
    assert "errors" not in served


async def test_production_may_enable_introspection_and_graphiql_explicitly(
    make_client: Callable[[Settings], httpx.AsyncClient], production_settings: Settings
) -> None:
    # given
    client = make_client(
        dataclasses.replace(production_settings, graphql_introspection=True, graphiql=True)
    )
    # when
    introspected = await post(client, INTROSPECTION)
    page = await client.get("/graphql", headers=HTML)
    # then
    assert introspected["data"]["__schema"]["queryType"]["name"] == "Query"
    assert page.status_code == 200
    assert "MediMyth GraphiQL" in page.text


async def test_production_serves_no_graphiql_page(
    production: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    # when
    hidden = await production.get("/graphql", headers=HTML)
    shown = await client.get("/graphql", headers=HTML)
    # then
    assert hidden.status_code == 404
    assert "GraphiQL" not in hidden.text
    assert shown.status_code == 200
    assert "MediMyth GraphiQL" in shown.text


@pytest.mark.parametrize("query", [MISSPELLED_FIELD, MISSPELLED_ARGUMENT, MISSPELLED_ENUM])
async def test_production_names_the_mistake_without_suggesting_the_schema(
    production: httpx.AsyncClient, client: httpx.AsyncClient, query: str
) -> None:
    # when
    terse = await post(production, query)
    helpful = await post(client, query)
    # then
    assert codes(terse) == ["BAD_USER_INPUT"]
    assert "Did you mean" not in messages(terse)[0]
    assert messages(terse)[0] == messages(helpful)[0].split(" Did you mean")[0]
    assert "Did you mean" in messages(helpful)[0]


async def test_a_bug_is_answered_with_a_generic_message_a_code_and_the_request_id(
    production: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # given: a resolver that fails with internals in its message
    async def broken(**_: object) -> None:
        raise RuntimeError("password=hunter2 at /srv/medimyth/resolvers/categories.py")

    monkeypatch.setattr(categories, "list_categories", broken)
    # when
    response = await production.post("/graphql", json={"query": CATEGORIES})
    # then
    body = response.json()
    assert response.status_code == 200
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"] == "Internal server error."
    assert error["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": response.headers["X-Request-ID"],
    }
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    [logged] = [r for r in caplog.records if r.name == "medimyth.errors"]
    assert logged.exc_info is not None  # the traceback goes to the log, not the client


async def test_expected_errors_and_typed_results_keep_their_own_messages(
    production: httpx.AsyncClient,
) -> None:
    # when
    unauthenticated = await post(production, ME)
    response = await production.post(
        "/graphql",
        json={
            "query": operation("Login"),
            "variables": {"email": "nobody@example.org", "password": "wrong password 1"},
        },
    )
    # then
    assert codes(unauthenticated) == ["UNAUTHENTICATED"]
    assert messages(unauthenticated) == ["Sign in: this needs an Authorization: Bearer token."]
    login = response.json()
    assert "errors" not in login
    assert login["data"]["login"]["__typename"] == "InvalidCredentials"
    assert login["data"]["login"]["message"]


async def test_a_refused_request_leaves_no_error_log(
    production: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # given
    caplog.set_level(logging.INFO)
    # when
    await post(production, MISSPELLED_FIELD)
    # then: the client's mistake is not logged as the server's
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
