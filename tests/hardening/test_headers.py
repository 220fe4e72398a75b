"""Every response carries security headers and a request id; CORS answers only allowed origins."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import httpx
import pytest

from settings import Settings

TYPENAME = {"query": "{ __typename }"}
ALLOWED = "https://app.medimyth.example"
STRANGER = "https://evil.example"
STRICT = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


async def test_json_answers_carry_the_security_headers_and_no_hsts_in_development(
    client: httpx.AsyncClient,
) -> None:
    # when
    responses = [
        await client.post("/graphql", json=TYPENAME),
        await client.get("/healthz"),
        await client.post(
            "/graphql", content=b"x" * 70_000, headers={"Content-Type": "application/json"}
        ),
    ]
    # then
    assert [r.status_code for r in responses] == [200, 200, 413]
    for response in responses:
        for name, value in STRICT.items():
            assert response.headers[name] == value
        assert (
            response.headers["content-security-policy"]
            == "default-src 'none'; frame-ancestors 'none'"
        )
        assert "strict-transport-security" not in response.headers


async def test_production_adds_hsts(production: httpx.AsyncClient) -> None:
    # when
    response = await production.post("/graphql", json=TYPENAME)
    # then
    assert response.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
    assert response.headers["x-frame-options"] == "DENY"


async def test_the_graphiql_page_keeps_its_own_policy(client: httpx.AsyncClient) -> None:
    # when
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    # then: the page's nonce policy, not the JSON default that would block its script
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert re.search(r"style-src 'self' 'nonce-[\w-]+'", policy)
    assert len(page.headers.get_list("content-security-policy")) == 1
    for name, value in STRICT.items():
        assert page.headers[name] == value


async def test_a_request_id_is_made_or_kept_when_sane(client: httpx.AsyncClient) -> None:
    # when
    made = await client.post("/graphql", json=TYPENAME)
    kept = await client.post("/graphql", json=TYPENAME, headers={"X-Request-ID": "lb-1234abcd.5"})
    replaced = [
        await client.post("/graphql", json=TYPENAME, headers={"X-Request-ID": bad})
        for bad in ("short", "has spaces in it", "x" * 129, "line\tbreak-injection")
    ]
    # then
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    assert kept.headers["x-request-id"] == "lb-1234abcd.5"
    for response in replaced:
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


@pytest.fixture
def cors_client(
    make_client: Callable[[Settings], httpx.AsyncClient], production_settings: Settings
) -> httpx.AsyncClient:
    return make_client(dataclasses.replace(production_settings, cors_origins=(ALLOWED,)))


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, authorization",
    }


async def test_a_preflight_from_an_allowed_origin_is_answered(
    cors_client: httpx.AsyncClient,
) -> None:
    # when
    response = await cors_client.options("/graphql", headers=preflight(ALLOWED))
    # then
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed_headers
    assert "content-type" in allowed_headers
    assert "POST" in response.headers["access-control-allow-methods"]


async def test_a_preflight_from_another_origin_is_refused(cors_client: httpx.AsyncClient) -> None:
    # when
    response = await cors_client.options("/graphql", headers=preflight(STRANGER))
    # then
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_an_allowed_origin_may_read_the_answer_and_its_request_id(
    cors_client: httpx.AsyncClient,
) -> None:
    # when
    allowed = await cors_client.post("/graphql", json=TYPENAME, headers={"Origin": ALLOWED})
    stranger = await cors_client.post("/graphql", json=TYPENAME, headers={"Origin": STRANGER})
    # then: the browser hides the stranger's answer, lacking the header
    assert allowed.headers["access-control-allow-origin"] == ALLOWED
    assert "x-request-id" in allowed.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-origin" not in stranger.headers


async def test_without_configured_origins_no_origin_is_allowed(client: httpx.AsyncClient) -> None:
    # when
    response = await client.options("/graphql", headers=preflight(ALLOWED))
    # then
    assert "access-control-allow-origin" not in response.headers


async def test_a_preflight_without_configured_origins_says_how_to_allow_one(
    client: httpx.AsyncClient,
) -> None:
    # when a frontend on another origin sends a preflight to an API with CORS off
    response = await client.options("/graphql", headers=preflight(ALLOWED))
    # then the refusal names the setting and the value that would allow it (not a bare 405)
    assert response.status_code == 403
    assert response.json()["errors"] == [
        {
            "message": f"CORS is off: set CORS_ORIGINS={ALLOWED} to allow this origin.",
            "extensions": {"code": "FORBIDDEN"},
        }
    ]
    assert "access-control-allow-origin" not in response.headers


async def test_the_cors_refusal_never_echoes_a_strange_origin(client: httpx.AsyncClient) -> None:
    # when the Origin header is not an origin, and when an OPTIONS request is no preflight
    strange = await client.options("/graphql", headers=preflight('"><script>'))
    plain = await client.options("/graphql")
    # then the advice shows a placeholder, and a plain OPTIONS is still a 405
    assert strange.status_code == 403
    assert "CORS_ORIGINS=https://your.app " in strange.json()["errors"][0]["message"]
    assert "script" not in strange.text
    assert plain.status_code == 405
    assert plain.headers["allow"] == "GET, POST"
