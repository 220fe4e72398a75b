"""Apps in production and development mode over the test database, and a client for each."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from app import create_app
from db.session import Database
from resolvers.platform.clock import FixedClock
from settings import Environment, Settings

AppClient = Callable[..., Any]


@pytest.fixture
def production_settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, environment=Environment.PRODUCTION, secret_key="p" * 40)


@pytest.fixture
async def make_client(
    clock: FixedClock, database: Database
) -> AsyncIterator[Callable[[Settings], httpx.AsyncClient]]:
    """A client for an app built from the given settings, over the tests' database."""
    clients: list[httpx.AsyncClient] = []

    def make(settings: Settings) -> httpx.AsyncClient:
        app: Starlette = create_app(settings, clock=clock, database=database)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def production(
    make_client: Callable[[Settings], httpx.AsyncClient], production_settings: Settings
) -> httpx.AsyncClient:
    return make_client(production_settings)


async def post(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    """POST one document; the body of a 200 answer."""
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def messages(body: dict[str, Any]) -> list[str]:
    return [error["message"] for error in body.get("errors", [])]
