"""Traces from a real gunicorn to a real OTLP/HTTP receiver on 127.0.0.1: GraphQL and SQL spans."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from settings import Settings
from tests.drills.support import Server, start_gunicorn, wait_for
from tests.operations import operation

pytestmark = pytest.mark.slow

CATEGORIES = {"query": operation("Categories"), "operationName": "Categories"}
WAIT_SECONDS = 30.0


class Collector:
    """The spans an OTLP/HTTP exporter POSTed to /v1/traces, decoded from protobuf."""

    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        collector = self

        class Receive(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = ExportTraceServiceRequest.FromString(body)
                with collector.lock:
                    for resource in request.resource_spans:
                        service = {
                            a.key: a.value.string_value for a in resource.resource.attributes
                        }
                        for scope in resource.scope_spans:
                            for span in scope.spans:
                                collector.spans.append(
                                    {
                                        "name": span.name,
                                        "scope": scope.scope.name,
                                        "service": service.get("service.name"),
                                        "trace_id": span.trace_id,
                                        "attributes": {
                                            a.key: a.value.string_value for a in span.attributes
                                        },
                                    }
                                )
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_args: Any) -> None:
                pass  # the test's output is the spans

        return Receive

    def named(self, prefix: str) -> list[dict[str, Any]]:
        with self.lock:
            return [span for span in self.spans if span["name"].startswith(prefix)]


@pytest.fixture
def collector() -> Iterator[tuple[Collector, int]]:
    found = Collector()
    server = ThreadingHTTPServer(("127.0.0.1", 0), found.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
async def live(
    database_url: str, settings: Settings, collector: tuple[Collector, int]
) -> AsyncIterator[Server]:
    """One gunicorn worker exporting its traces to the collector, every 100 ms."""
    _found, port = collector
    server = start_gunicorn(
        "tracing",
        database_url,
        workers=1,
        log_prefix="platform-",
        env={
            "DB_POOL_MODE": settings.db_pool_mode.value,
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
        },
    )
    try:
        await wait_for(server, "/healthz", 200)
        yield server
    finally:
        server.stop()


async def spans_named(collector: Collector, prefix: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        spans = collector.named(prefix)
        if spans:
            return spans
        await asyncio.sleep(0.1)
    raise AssertionError(f"no span named {prefix}...: {collector.spans}")


async def test_a_graphql_request_exports_its_operation_and_sql_spans(
    live: Server, collector: tuple[Collector, int]
) -> None:
    found, _port = collector
    # when the frontend's Categories query is served on the fast path (the default)
    async with httpx.AsyncClient(base_url=live.origin, timeout=10) as client:
        answer = await client.post("/graphql", json=CATEGORIES)
    assert answer.status_code == 200
    assert answer.json() == {"data": {"categories": []}}
    # then the collector receives the server span, the operation's and its SQL statement's
    server = (await spans_named(found, "POST /graphql"))[0]
    graphql = (await spans_named(found, "GraphQL Query: Categories"))[0]
    sql = [
        s
        for s in await spans_named(found, "SELECT")
        if "categories" in s["attributes"].get("db.statement", "")
    ]
    assert sql, found.spans
    assert graphql["scope"] == "strawberry"
    # one trace: the request's, and under one service name
    assert graphql["trace_id"] == server["trace_id"] == sql[0]["trace_id"]
    assert {server["service"], graphql["service"], sql[0]["service"]} == {"medimyth"}
    # and no span per field: the operation spans leave the executor's fast path on
    assert not found.named("GraphQL Resolving")
