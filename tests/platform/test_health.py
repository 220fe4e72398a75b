"""Health and readiness: /healthz says the process lives, /readyz says the database answers."""

from __future__ import annotations

import httpx

from app import create_app
from db.session import Database
from settings import Settings

# Nothing listens on port 1: a database that is down.
DOWN_URL = "postgresql+asyncpg://postgres@127.0.0.1:1/medimyth"


async def test_healthz_answers_ok(client: httpx.AsyncClient) -> None:
    # when
    response = await client.get("/healthz")
    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_200_when_the_database_answers(client: httpx.AsyncClient) -> None:
    # when
    response = await client.get("/readyz")
    # then
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


async def test_a_server_whose_database_is_down_stays_up_and_says_so() -> None:
    # given
    database = Database(Settings(database_url=DOWN_URL))
    app = create_app(Settings(database_url=DOWN_URL), database=database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        # when
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
        graphql = await client.post("/graphql", json={"query": "{ categories { id } }"})
        typename = await client.post("/graphql", json={"query": "{ __typename }"})
    await database.dispose()
    # then
    assert health.status_code == 200
    assert ready.status_code == 503
    body = graphql.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "127.0.0.1" not in body["errors"][0]["message"]
    assert "Connect" not in body["errors"][0]["message"]
    assert typename.json() == {"data": {"__typename": "Query"}}
