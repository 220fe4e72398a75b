"""Prometheus metrics: per-operation latency and statements, the pool, the outbox; /metrics."""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from resolvers.messaging.backlog import Backlog, outbox_backlog
from settings import Settings

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from prometheus_client.core import Metric

    from db.session import Database

logger = logging.getLogger("medimyth.metrics")

METRICS_PATH = "/metrics"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# The frontend's operations (shared/operations; tests/platform/test_metrics_labels.py
# holds this list to them): always a label of their own.
KNOWN_OPERATIONS = frozenset(
    [
        "ActivateDoctor",
        "AddWalkIn",
        "AnnounceDelay",
        "BookAppointment",
        "CallNext",
        "CancelAppointment",
        "CancelByPhone",
        "CancelMyAppointment",
        "Categories",
        "ChangePassword",
        "CreateCategory",
        "CreateSchedules",
        "CreateVacation",
        "CreateWebhookEndpoint",
        "DeleteSchedule",
        "DeleteVacation",
        "DeleteWebhookEndpoint",
        "DoctorPage",
        "EndSession",
        "FindSessions",
        "JoinWaitlist",
        "LeaveWaitlist",
        "LiveSession",
        "Login",
        "MyAccount",
        "MyAppointment",
        "MyAppointmentCalendar",
        "MyBookings",
        "MyCalendar",
        "MyCalendarFeed",
        "MyPlace",
        "MyWaitlistEntry",
        "PendingDoctors",
        "RegisterDoctor",
        "RenameCategory",
        "RequestOtp",
        "RescheduleMyAppointment",
        "ResetPassword",
        "RotateCalendarFeed",
        "RotateWebhookSecret",
        "SearchDoctors",
        "SendTestWebhook",
        "SessionAppointments",
        "SetAppointmentStatus",
        "StartSession",
        "SuspendDoctor",
        "UpdateMyProfile",
        "UpdateSchedule",
        "VacationImpact",
        "VerifyPhone",
        "WatchMyPlace",
        "WatchSession",
        "WebhookEndpoints",
    ]
)
# Other clients' names (an integration's own operations) get labels too, but only short
# plain ones, and only so many per worker: a client inventing a name per request must
# not grow the series without end. Past the limit a new name counts as "other".
_SANE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")
MAX_OTHER_NAMES = 50
CHILDREN_CACHED = 1024
# Seconds: from about 1 ms (a cached answer) to the 10 s a slow search may take.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Statements: the budgets of tests/performance are 0 to about 10 per operation.
STATEMENT_BUCKETS = (0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64)


class Metrics:
    """The worker's instruments; in gunicorn they write to prometheus-client's shared files.

    With PROMETHEUS_MULTIPROC_DIR set (gunicorn.conf.py sets it) every worker writes its
    own files there and a scrape, answered by any one worker, adds up all of them; the
    pool gauges sum the live workers only (``livesum``), so a dead worker's connections
    leave the total. Without it (one process, the tests) they live in a registry of
    this object's own.
    """

    def __init__(self, settings: Settings) -> None:
        self.multiprocess = settings.metrics_dir is not None
        self.token = settings.metrics_token
        self.outbox_timeout = settings.metrics_outbox_timeout_seconds
        self.registry = CollectorRegistry()
        self._others: set[str] = set()
        # (name, status) -> the two histograms' children: labels() takes a lock and
        # builds a key on every call, a cost each request would pay again.
        self._children: dict[tuple[str | None, int | None], tuple[Any, Any]] = {}
        self.latency = Histogram(
            "medimyth_request_duration_seconds",
            "GraphQL requests by operation name and HTTP status class.",
            ("operation", "status"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.statements = Histogram(
            "medimyth_request_statements",
            "SQL statements one GraphQL request sent, by operation name.",
            ("operation",),
            buckets=STATEMENT_BUCKETS,
            registry=self.registry,
        )
        self.pool_in_use = Gauge(
            "medimyth_db_pool_in_use",
            "Database connections checked out of the workers' pools.",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.pool_waiting = Gauge(
            "medimyth_db_pool_waiting",
            "Checkouts waiting for a database connection, in all workers.",
            registry=self.registry,
            multiprocess_mode="livesum",
        )

    def operation_label(self, name: str | None) -> str:
        if name is None:
            return "anonymous"
        if name in KNOWN_OPERATIONS or name in self._others:
            return name
        if len(self._others) < MAX_OTHER_NAMES and _SANE_NAME.fullmatch(name):
            self._others.add(name)
            return name
        return "other"

    def request_done(
        self, *, operation: str | None, status: int | None, seconds: float, statements: int
    ) -> None:
        key = (operation, status)
        children = self._children.get(key)
        if children is None:
            label = self.operation_label(operation)
            status_class = "none" if status is None else f"{status // 100}xx"
            children = (self.latency.labels(label, status_class), self.statements.labels(label))
            # Bounded like the labels: names past the limit all share the "other" children.
            if len(self._children) < CHILDREN_CACHED:
                self._children[key] = children
        children[0].observe(seconds)
        children[1].observe(statements)

    # PoolWatch (db/pool_watch.py)
    def in_use(self, delta: int) -> None:
        self.pool_in_use.inc(delta)

    def waiting(self, delta: int) -> None:
        self.pool_waiting.inc(delta)

    def allows(self, authorization: str | None) -> bool:
        if self.token is None:
            return True  # development without a token (production refuses to start so)
        if authorization is None:
            return False
        scheme, _, presented = authorization.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            presented.strip().encode(), self.token.encode()
        )

    async def render(self, database: Database | None) -> bytes:
        if self.multiprocess:
            shared = CollectorRegistry()
            MultiProcessCollector(shared)  # type: ignore[no-untyped-call]
            body = generate_latest(shared)
        else:
            body = generate_latest(self.registry)
        outbox = CollectorRegistry()
        outbox.register(_OutboxCollector(await self._backlog(database)))
        return body + generate_latest(outbox)

    async def _backlog(self, database: Database | None) -> list[Backlog] | None:
        if database is None:
            return None
        try:
            # A slow or unreachable database must never hang the scrape: the backlog is
            # then left out and medimyth_outbox_read_ok says so.
            async with asyncio.timeout(self.outbox_timeout), database.session() as session:
                return await outbox_backlog(session=session)
        except Exception:
            logger.warning("the outbox backlog could not be read for /metrics", exc_info=True)
            return None


class _OutboxCollector(Collector):
    """The backlog read for this scrape, as gauges (never written to the shared files)."""

    def __init__(self, backlog: list[Backlog] | None) -> None:
        self.backlog = backlog

    def collect(self) -> Iterable[Metric]:
        return list(self._families())

    def _families(self) -> Iterator[Metric]:
        ok = GaugeMetricFamily(
            "medimyth_outbox_read_ok", "1 when this scrape read the outbox backlog, else 0."
        )
        ok.add_metric([], 0 if self.backlog is None else 1)
        yield ok
        if self.backlog is None:
            return
        pending = GaugeMetricFamily(
            "medimyth_outbox_pending", "Messages waiting to be sent.", labels=["outbox"]
        )
        oldest = GaugeMetricFamily(
            "medimyth_outbox_oldest_pending_seconds",
            "Age of the oldest pending message (0 when none is pending).",
            labels=["outbox"],
        )
        for row in self.backlog:
            pending.add_metric([row.outbox], row.pending)
            oldest.add_metric([row.outbox], row.oldest_seconds)
        yield pending
        yield oldest


async def metrics_endpoint(request: Request) -> Response:
    """GET /metrics: Prometheus's text format, for a bearer of METRICS_TOKEN when one is set."""
    metrics: Metrics = request.app.state.metrics
    if not metrics.allows(request.headers.get("authorization")):
        return PlainTextResponse(
            "A bearer token (METRICS_TOKEN) is needed to read metrics.\n",
            401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    database: Any = getattr(request.app.state, "database", None)
    return Response(await metrics.render(database), media_type=CONTENT_TYPE)
