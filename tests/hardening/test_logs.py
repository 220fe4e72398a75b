"""One structured line per request; JSON in production, readable in development; gunicorn's too."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from app.logs import JsonFormatter, RequestIdFilter, TextFormatter
from app.middleware import RequestContextMiddleware
from schema.platform.request_facts import RequestFacts, bound_request
from settings import Environment, PoolMode, Settings
from tests.hardening.conftest import codes

ROOT = Path(__file__).resolve().parents[2]
NAMED = "query Probe { categories { id } }"
MISTAKE = "query Oops { categories { nope } }"


def request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "medimyth.request"]


async def test_each_request_writes_one_line_with_its_facts(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, settings: Settings
) -> None:
    # given
    caplog.set_level(logging.INFO, logger="medimyth.request")
    # when
    response = await client.post("/graphql", json={"query": NAMED})
    # then
    [line] = request_lines(caplog)
    assert line.request_id == response.headers["X-Request-ID"]  # type: ignore[attr-defined]
    assert line.method == "POST"  # type: ignore[attr-defined]
    assert line.path == "/graphql"  # type: ignore[attr-defined]
    assert line.status == 200  # type: ignore[attr-defined]
    assert line.operation == "Probe"  # type: ignore[attr-defined]
    assert line.graphql_errors is False  # type: ignore[attr-defined]
    # the select, plus the transaction's settings behind a transaction pooler
    expected = 2 if settings.db_pool_mode is PoolMode.TRANSACTION else 1
    assert line.statements == expected  # type: ignore[attr-defined]
    assert line.duration_ms > 0  # type: ignore[attr-defined]


async def test_a_graphql_error_and_a_refusal_are_told_apart(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # given
    caplog.set_level(logging.INFO, logger="medimyth.request")
    # when
    mistake = await client.post("/graphql", json={"query": MISTAKE})
    refused = await client.post("/graphql", json=[{"query": NAMED}])
    # then
    assert codes(mistake.json()) == ["BAD_USER_INPUT"]
    assert refused.status_code == 400
    errors, batch = request_lines(caplog)
    assert (errors.status, errors.operation, errors.graphql_errors) == (200, "Oops", True)  # type: ignore[attr-defined]
    assert errors.statements == 0  # type: ignore[attr-defined]  # refused before any SQL
    assert (batch.status, batch.operation, batch.graphql_errors) == (400, None, None)  # type: ignore[attr-defined]


async def test_an_unhandled_error_is_a_logged_json_500_with_headers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given: an app that fails before answering
    caplog.set_level(logging.INFO, logger="medimyth.request")
    caplog.handler.addFilter(RequestIdFilter())  # what configure_logging puts on handlers

    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("secret internals")

    app = RequestContextMiddleware(broken, settings=Settings(environment=Environment.PRODUCTION))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        # when
        response = await client.get("/anything")
    # then
    assert response.status_code == 500
    assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "secret" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    failure, line = [r for r in caplog.records if r.name == "medimyth.request"]
    assert failure.exc_info is not None
    assert failure.request_id == line.request_id == response.headers["x-request-id"]  # type: ignore[attr-defined]
    assert line.status == 500  # type: ignore[attr-defined]


def record(message: str, **extra: object) -> logging.LogRecord:
    made = logging.makeLogRecord({"name": "medimyth.request", "levelname": "INFO", "msg": message})
    made.__dict__.update(extra)
    return made


def test_the_json_format_is_one_object_per_line_with_the_fields_on_top() -> None:
    # given
    line = record("POST /graphql 200", status=200, operation="Probe", statements=3)
    with bound_request(RequestFacts(request_id="req-12345678")):
        RequestIdFilter().filter(line)
    # when
    text = JsonFormatter().format(line)
    # then
    assert "\n" not in text
    parsed = json.loads(text)
    assert parsed["message"] == "POST /graphql 200"
    assert parsed["request_id"] == "req-12345678"
    assert (parsed["status"], parsed["operation"], parsed["statements"]) == (200, "Probe", 3)
    assert {"time", "level", "logger"} <= parsed.keys()


def test_the_text_format_reads_as_a_sentence_then_fields() -> None:
    # given
    line = record("POST /graphql 200", request_id="req-12345678", statements=3)
    # when
    text = TextFormatter().format(line)
    # then
    assert text.endswith(
        "INFO medimyth.request POST /graphql 200 request_id=req-12345678 statements=3"
    )


@pytest.mark.slow
def test_gunicorn_and_uvicorn_lines_share_the_production_json_format(tmp_path: Path) -> None:
    # given: gunicorn.conf.py's logging, as gunicorn applies it, in a production environment
    script = (
        "import logging, logging.config, runpy\n"
        "config = runpy.run_path('gunicorn.conf.py')\n"
        "logging.config.dictConfig(config['logconfig_dict'])\n"
        "logging.getLogger('gunicorn.error').info('Booting worker')\n"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"LOG_FORMAT", "DATABASE_URL", "GRAPHIQL", "GRAPHQL_INTROSPECTION"}
    }
    env.update(ENVIRONMENT="production", SECRET_KEY="s" * 40, LOG_LEVEL="info")
    # when
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    # then
    [line] = done.stderr.strip().splitlines()
    parsed = json.loads(line)
    assert (parsed["logger"], parsed["message"]) == ("gunicorn.error", "Booting worker")
