"""GraphiQL's page and assets: served from here, pinned by SRI, under a strict CSP, cached for good."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from pathlib import Path

import httpx
from graphql import DocumentNode, OperationDefinitionNode, parse, print_ast

from app.graphiql.assets import load_bundle
from tests.operations import OPERATIONS_DIR, operation

NEEDS_NO_TOKEN = {"RegisterDoctor", "Login", "ResetPassword"}
# The session day's operations get tabs too (the README's worked examples use them).
LIVE_OPERATIONS = OPERATIONS_DIR / "live" / "live.graphql"


def sri(body: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()


async def open_page(client: httpx.AsyncClient) -> httpx.Response:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    return response


async def test_the_page_loads_only_same_origin_assets_pinned_by_integrity(
    client: httpx.AsyncClient,
) -> None:
    # given the page a browser gets at /graphql
    page = (await open_page(client)).text

    # when each script and stylesheet it names is fetched
    tags = re.findall(r'(?:src|href)="(/static/graphiql/[^"]+)" integrity="([^"]+)"', page)
    fetched = [(await client.get(url), integrity) for url, integrity in tags]

    # then there are both, from this origin only, and their bytes match the integrity hashes
    assert len(tags) == 2
    assert "http://" not in page
    assert "https://" not in page
    for response, integrity in fetched:
        assert response.status_code == 200
        assert sri(response.content) == integrity


async def test_the_page_carries_a_strict_policy_with_a_fresh_style_nonce(
    client: httpx.AsyncClient,
) -> None:
    # given two visits
    first, second = await open_page(client), await open_page(client)

    # when their policies are read
    policies = [response.headers["content-security-policy"] for response in (first, second)]
    nonces = [re.search(r"'nonce-([^']+)'", policy) for policy in policies]

    # then nothing from another origin, no inline script or eval, and a nonce per response
    for policy, nonce, response in zip(policies, nonces, (first, second), strict=True):
        assert nonce is not None
        assert f'data-style-nonce="{nonce.group(1)}"' in response.text
        assert "default-src 'none'" in policy
        assert "script-src 'self';" in policy
        assert "connect-src 'self' ws://testserver;" in policy
        assert "frame-ancestors 'none'" in policy
        assert "unsafe" not in policy
        assert "http" not in policy
        assert policy.count("ws://") == 1
        assert "wss:" not in policy
        assert response.headers["cache-control"] == "no-store"
    assert nonces[0] is not None
    assert nonces[1] is not None
    assert nonces[0].group(1) != nonces[1].group(1)


async def test_subscriptions_may_connect_to_this_origins_websocket_url_and_nowhere_else(
    client: httpx.AsyncClient,
) -> None:
    # given the page asked for over HTTPS, on a port, over
    # IPv6, and with a Host header that tries to write a directive of its own
    hosts = {
        "https://medimyth.example/graphql": "connect-src 'self' wss://medimyth.example;",
        "http://127.0.0.1:8000/graphql": "connect-src 'self' ws://127.0.0.1:8000;",
        "http://[::1]:8000/graphql": "connect-src 'self' ws://[::1]:8000;",
    }
    hostile = {"Accept": "text/html", "Host": "evil.example; connect-src *"}

    # when each page's policy is read
    policies = {
        url: (await client.get(url, headers={"Accept": "text/html"})).headers[
            "content-security-policy"
        ]
        for url in hosts
    }
    refused = (await client.get("/graphql", headers=hostile)).headers["content-security-policy"]

    # then connections go to that origin's ws:/wss: URL only; a hostile Host adds nothing
    for url, directive in hosts.items():
        assert directive in policies[url]
        assert policies[url].count("connect-src") == 1
    assert "connect-src 'self';" in refused
    assert "evil" not in refused
    assert refused.count("connect-src") == 1


async def test_hashed_assets_are_cached_for_a_year_and_compressed(
    client: httpx.AsyncClient,
) -> None:
    # given the bundle's script
    script = load_bundle().script

    # when a browser that accepts gzip fetches it, and someone asks for a file not in the bundle
    response = await client.get(
        f"/static/graphiql/{script.name}", headers={"Accept-Encoding": "gzip"}
    )
    missing = await client.get("/static/graphiql/manifest.json")

    # then it is immutable for a year, compressed, and identical to the file; the rest is 404
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.content == script.body  # httpx decoded the gzip
    assert gzip.decompress(script.gzipped) == script.body
    assert missing.status_code == 404


def test_the_committed_tabs_match_the_frontends_operations() -> None:
    # given the frontend's operations (the top level and the session day's) and their
    # example variables
    variables = json.loads((OPERATIONS_DIR / "variables.json").read_text())
    variables |= json.loads((OPERATIONS_DIR / "live" / "variables.json").read_text())
    paths = [*sorted(Path(OPERATIONS_DIR).glob("*.graphql")), LIVE_OPERATIONS]
    expected: dict[str, tuple[str, bool]] = {}
    for path in paths:
        for definition in parse(path.read_text()).definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.name:
                name = definition.name.value
                needs_token = (
                    path.stem == "admin"
                    or (path.stem == "doctor" and name not in NEEDS_NO_TOKEN)
                    or (path == LIVE_OPERATIONS and definition.operation.value == "mutation")
                )
                text = print_ast(DocumentNode(definitions=(definition,)))
                expected[name] = (text, needs_token)

    # when the committed tabs are read (run `make graphiql` when this fails)
    tabs = json.loads(load_bundle().operations.body)["tabs"]
    by_name = {}
    for tab in tabs:
        document = parse(tab["query"])
        (definition,) = document.definitions
        assert isinstance(definition, OperationDefinitionNode)
        assert definition.name is not None
        by_name[definition.name.value] = tab

    # then one tab per operation, its example variables, and the bearer header where needed
    assert set(by_name) == set(expected)
    assert tabs[0]["query"].splitlines()[1].startswith("query Categories")
    assert operation("Categories") == expected["Categories"][0]
    for name, (text, token) in expected.items():
        tab = by_name[name]
        assert print_ast(parse(tab["query"])) == text
        if name in variables:
            assert json.loads(tab["variables"]) == variables[name]
        if token:
            assert json.loads(tab["headers"]) == {
                "Authorization": "Bearer <accessToken from Login>"
            }
        else:
            assert "headers" not in tab
    # the doctor runs the day from the Authorization header; the board needs nothing
    assert "headers" in by_name["CallNext"]
    assert "headers" not in by_name["WatchSession"]
