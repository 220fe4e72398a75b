"""Malformed, oversized, batched and cross-site requests are refused with a clear, coded answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from tests.hardening.conftest import codes, messages

TYPENAME = "{ __typename }"
GET_MUTATION = "mutation { __typename }"
SYNTAX_ERROR = "{ doctors { "
BAD_INT = "query ($n: Int) { doctors(first: $n) { totalCount } }"
BAD_DATE = 'query ($d: Date!) { findSessions(filter: {from: $d, to: "2026-12-07"}) { totalCount } }'
LIMIT = 64 * 1024


def refused_with(response: httpx.Response, status: int, message: str) -> None:
    """A refusal: the status, JSON shaped like a GraphQL response, the code and the message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert codes(body) == ["BAD_USER_INPUT"]
    assert message in messages(body)[0]


def exactly(size: int) -> bytes:
    """A valid request body of exactly `size` bytes (an unused variable pads it)."""
    empty = orjson.dumps({"query": TYPENAME, "variables": {"pad": ""}})
    return orjson.dumps({"query": TYPENAME, "variables": {"pad": "x" * (size - len(empty))}})


async def test_a_body_over_the_limit_is_refused_by_its_content_length(
    production: httpx.AsyncClient,
) -> None:
    # when
    over = await production.post("/graphql", content=exactly(LIMIT + 1), headers=JSON)
    at = await production.post("/graphql", content=exactly(LIMIT), headers=JSON)
    # then
    refused_with(over, 413, "larger than 65536 bytes")
    assert at.status_code == 200
    assert at.json() == {"data": {"__typename": "Query"}}


async def test_a_chunked_body_without_content_length_is_counted_and_refused(
    production: httpx.AsyncClient,
) -> None:
    # given: 4 KiB chunks, and no Content-Length to trust
    body = exactly(LIMIT + 1)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    # when
    response = await production.post("/graphql", content=chunks(), headers=JSON)
    # then
    assert "content-length" not in response.request.headers
    refused_with(response, 413, "larger than 65536 bytes")


JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"query": "{ __typename }"', "not valid JSON"),
        (b"[" * 5000 + b"]" * 5000, "not valid JSON"),
        (b'"{ __typename }"', "must be a JSON object"),
        (b"42", "must be a JSON object"),
        (b'{"query": 42}', "`query` must be a string"),
        (b'{"query": "{ __typename }", "variables": [1]}', "`variables` must be an object"),
        (b'{"query": "{ __typename }", "operationName": 5}', "operationName must be a string"),
        (b"{}", "No GraphQL query found"),
        (b'{"query": "query A { __typename }", "operationName": "B"}', "Unknown operation"),
    ],
)
@pytest.mark.parametrize("environment", ["development", "production"])
async def test_a_malformed_body_is_refused_with_400(
    client: httpx.AsyncClient,
    production: httpx.AsyncClient,
    environment: str,
    content: bytes,
    message: str,
) -> None:
    # when
    sender = production if environment == "production" else client
    response = await sender.post("/graphql", content=content, headers=JSON)
    # then
    refused_with(response, 400, message)


async def test_a_batch_of_operations_is_refused(production: httpx.AsyncClient) -> None:
    # given
    batch = [{"query": TYPENAME}, {"query": TYPENAME}]
    # when
    response = await production.post("/graphql", json=batch)
    # then
    refused_with(response, 400, "Batched requests are not supported")


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
async def test_a_post_a_cross_site_form_could_send_is_refused(
    production: httpx.AsyncClient, content_type: str | None
) -> None:
    # given: what a page on another site can POST without a CORS preflight
    headers = {"Content-Type": content_type} if content_type else {}
    # when
    response = await production.post(
        "/graphql", content=orjson.dumps({"query": TYPENAME}), headers=headers
    )
    # then
    refused_with(response, 400, "Content-Type: application/json")


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", " application/json ;x=1"],
)
async def test_json_with_parameters_is_accepted(
    production: httpx.AsyncClient, content_type: str
) -> None:
    # when
    response = await production.post(
        "/graphql",
        content=orjson.dumps({"query": TYPENAME}),
        headers={"Content-Type": content_type},
    )
    # then
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_preflight_header_passes_the_csrf_check_but_the_body_must_still_be_json(
    production: httpx.AsyncClient,
) -> None:
    # when
    response = await production.post(
        "/graphql",
        content=orjson.dumps({"query": TYPENAME}),
        headers={"Content-Type": "text/plain", "Apollo-Require-Preflight": "true"},
    )
    # then: past the CSRF check, refused as a body Strawberry cannot read
    refused_with(response, 400, "Unsupported content type")


@pytest.mark.parametrize("environment", ["development", "production"])
async def test_a_mutation_over_get_is_refused_and_a_query_is_served(
    client: httpx.AsyncClient, production: httpx.AsyncClient, environment: str
) -> None:
    # given
    sender = production if environment == "production" else client
    accept = {"Accept": "application/json"}
    # when
    mutation = await sender.get("/graphql", params={"query": GET_MUTATION}, headers=accept)
    query = await sender.get("/graphql", params={"query": TYPENAME}, headers=accept)
    # then
    refused_with(mutation, 400, "mutations are not allowed when using GET")
    assert query.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        (SYNTAX_ERROR, {}, "Syntax Error"),
        (BAD_INT, {"n": "many"}, "Int cannot represent non-integer value"),
        (BAD_DATE, {"d": "2026-13-45"}, "Variable '$d' has invalid value"),
    ],
)
async def test_a_document_or_variable_the_schema_cannot_take_is_bad_user_input(
    production: httpx.AsyncClient, query: str, variables: dict[str, Any], message: str
) -> None:
    # when
    response = await production.post("/graphql", json={"query": query, "variables": variables})
    # then: a GraphQL answer (200) with the request-level error coded
    assert response.status_code == 200
    body = response.json()
    assert codes(body) == ["BAD_USER_INPUT"]
    assert message in messages(body)[0]
