"""/metrics against a real gunicorn with two workers: counts summed across workers, the outbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import NotificationChannel, NotificationStatus
from db.models import Notification
from settings import Settings
from tests.conftest import GraphQLClient, StatementLog
from tests.drills.support import Server, start_gunicorn, wait_for
from tests.operations import operation

pytestmark = pytest.mark.slow

TOKEN = "metrics-test-token-" + "t" * 24
TYPENAME = {"query": "{ __typename }"}
CATEGORIES = {"query": operation("Categories"), "operationName": "Categories"}
# A sane name no frontend operation has: labelled as it is.
INTEGRATION = {"query": "query PartnerPing { __typename }", "operationName": "PartnerPing"}
# Longer than a label may be: counted as "other".
LONG_NAME = "Q" + "x" * 60
UNBOUNDED = {"query": f"query {LONG_NAME} {{ __typename }}", "operationName": LONG_NAME}
BATCH = 8
Counter = Callable[..., AbstractContextManager[StatementLog]]
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
async def live(database_url: str, settings: Settings, tmp_path: Path) -> AsyncIterator[Server]:
    """gunicorn as the Procfile runs it in production, two workers, metrics on with a token."""
    server = start_gunicorn(
        "metrics",
        database_url,
        workers=2,
        log_prefix="platform-",
        env={
            "DB_POOL_MODE": settings.db_pool_mode.value,
            "ENVIRONMENT": "production",
            "SECRET_KEY": "live-metrics-test-secret-" + "s" * 20,
            "METRICS_ENABLED": "true",
            "METRICS_TOKEN": TOKEN,
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
            # Every Categories request executes (a cached answer sends no statement), so
            # the statements' sum is exact.
            "RESPONSE_CACHE": "false",
        },
    )
    try:
        await wait_for(server, "/healthz", 200)
        yield server
    finally:
        server.stop()


def fresh_connections(server: Server) -> httpx.AsyncClient:
    """One new connection per request, so gunicorn's workers take turns accepting them."""
    transport = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))
    return httpx.AsyncClient(base_url=server.origin, transport=transport, timeout=10)


def served_by(directory: Path) -> set[int]:
    """The worker pids that have observed a request (prometheus-client's per-pid files)."""
    return {int(path.stem.rsplit("_", 1)[1]) for path in directory.glob("histogram_*.db")}


def samples(text: str) -> Samples:
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: Samples, name: str, **labels: str) -> float:
    return found[(name, tuple(sorted(labels.items())))]


async def scrape(server: Server) -> Samples:
    async with httpx.AsyncClient(base_url=server.origin, timeout=10) as client:
        answer = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return samples(answer.text)


async def test_counts_from_both_workers_add_up_by_operation(
    live: Server,
    tmp_path: Path,
    gql: GraphQLClient,
    count_statements: Counter,
    session: AsyncSession,
) -> None:
    # given the statements one Categories request sends (counted in-process, as the tests do)
    with count_statements() as log:
        await gql(CATEGORIES["query"])
    per_categories = log.count
    assert per_categories >= 1
    # when batches of concurrent requests, each on a new connection, reach both workers
    sent = {"anonymous": 0, "Categories": 0, "PartnerPing": 0, "other": 0}
    async with fresh_connections(live) as client:
        for _ in range(30):
            bodies = [TYPENAME, CATEGORIES, INTEGRATION, UNBOUNDED] * (BATCH // 4)
            answers = await asyncio.gather(*(client.post("/graphql", json=b) for b in bodies))
            assert [a.status_code for a in answers] == [200] * len(bodies)
            for label in ("anonymous", "Categories", "PartnerPing", "other"):
                sent[label] += BATCH // 4
            if len(served_by(tmp_path / "metrics") & set(live.workers())) == 2:
                break
    assert set(live.workers()) <= served_by(tmp_path / "metrics"), "one worker got everything"
    # then one scrape shows every request once, whichever worker answers it
    found = await scrape(live)
    for label, count in sent.items():
        assert (
            value(found, "medimyth_request_duration_seconds_count", operation=label, status="2xx")
            == count
        )
        assert value(found, "medimyth_request_statements_count", operation=label) == count
    # statements per request: none for __typename, the in-process count for Categories
    assert value(found, "medimyth_request_statements_sum", operation="anonymous") == 0
    assert value(found, "medimyth_request_statements_sum", operation="Categories") == (
        sent["Categories"] * per_categories
    )
    # the scrapes, probes and the long name itself are no label of their own
    labels = {
        dict(key[1]).get("operation") for key in found if key[0].startswith("medimyth_request")
    }
    assert labels == set(sent)
    # the pools are idle again: nothing in use, nobody waiting, summed over the live workers
    assert value(found, "medimyth_db_pool_in_use") == 0
    assert value(found, "medimyth_db_pool_waiting") == 0
    # and the outbox is empty
    assert value(found, "medimyth_outbox_read_ok") == 1
    assert value(found, "medimyth_outbox_pending", outbox="notifications") == 0
    assert value(found, "medimyth_outbox_oldest_pending_seconds", outbox="notifications") == 0


async def test_the_outbox_backlog_and_the_age_of_its_oldest_message(
    live: Server, session: AsyncSession
) -> None:
    # given three pending messages, the oldest queued 90 seconds ago, and one already sent
    now = (await session.execute(select(func.now()))).scalar_one()
    pending, sent = NotificationStatus.PENDING, NotificationStatus.SENT
    for age, status in ((90, pending), (30, pending), (5, pending), (600, sent)):
        session.add(
            Notification(
                channel=NotificationChannel.SMS,
                recipient="+919830012345",
                body="hello",
                status=status,
                created_at=now - timedelta(seconds=age),
            )
        )
    await session.commit()
    # when Prometheus scrapes
    found = await scrape(live)
    # then the backlog counts the pending ones, and the oldest is at least 90 seconds old
    assert value(found, "medimyth_outbox_pending", outbox="notifications") == 3
    oldest = value(found, "medimyth_outbox_oldest_pending_seconds", outbox="notifications")
    assert 90 <= oldest < 90 + 60
    assert value(found, "medimyth_outbox_pending", outbox="webhooks") == 0


async def test_production_refuses_metrics_without_the_token(live: Server) -> None:
    # given a production server with METRICS_TOKEN set
    async with httpx.AsyncClient(base_url=live.origin, timeout=10) as client:
        # when /metrics is asked without the token, with another one, and with it
        bare = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
        basic = await client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
        right = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    # then only the bearer of the token reads them
    for refused in (bare, wrong, basic):
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert "medimyth_" not in refused.text
    assert right.status_code == 200
    assert "medimyth_outbox_read_ok 1.0" in right.text
