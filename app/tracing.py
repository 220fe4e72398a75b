"""OpenTelemetry traces when the standard OTEL_* variables ask: ASGI, GraphQL and SQL spans.

Imported only then (app/factory.py), so without them nothing of OpenTelemetry is
loaded. The SDK reads its own variables (OTEL_EXPORTER_OTLP_*, OTEL_SERVICE_NAME,
OTEL_BSP_*, OTEL_TRACES_SAMPLER, ...); settings.py only decides whether to trace.
"""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry import trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from starlette.middleware import Middleware

from db.session import Database
from settings import Settings

# Probes and scrapes would drown the traces that matter (regular expressions, by path).
EXCLUDED_URLS = "/healthz,/readyz,/metrics"


def server_spans() -> Middleware:
    """A server span per HTTP request; its tracer follows the provider the worker sets later."""
    return Middleware(OpenTelemetryMiddleware, excluded_urls=EXCLUDED_URLS)


def _exporter(name: str) -> SpanExporter:
    # "otlp" (the SDK's default) is OTLP over HTTP with protobuf.
    if name == "console":
        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


@dataclass
class Tracing:
    """The worker's tracer provider; one per worker."""

    provider: TracerProvider

    @classmethod
    def start(cls, settings: Settings) -> Tracing:
        # In the worker, after fork: the batch processor's thread would not survive a fork.
        resource = Resource.create()
        if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
            resource = resource.merge(Resource({SERVICE_NAME: "medimyth"}))
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(
            BatchSpanProcessor(_exporter(settings.otel_traces_exporter or "otlp"))
        )
        trace.set_tracer_provider(provider)
        return cls(provider)

    def instrument(self, database: Database) -> None:
        """A span per SQL statement of this database's engine."""
        SQLAlchemyInstrumentor().instrument(
            engine=database.engine.sync_engine,
            tracer_provider=self.provider,
            # Its newest release declares SQLAlchemy < 2.1 and would do nothing here; the
            # engine events it listens to are unchanged in 2.1, and
            # tests/platform/test_tracing_live.py sees its spans on the pinned version.
            skip_dep_check=True,
        )

    def stop(self) -> None:
        self.provider.shutdown()  # exports what is still queued
