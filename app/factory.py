"""Builds the Starlette app: /graphql (API and GraphiQL), /healthz, /readyz, middleware."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from app import feeds
from app.budgets import RETRY_AFTER_HEADER, RequestBudgetMiddleware
from app.graphiql import page as graphiql_page
from app.graphiql.assets import load_bundle, serve_asset
from app.live import build_hub, hear_catalogue
from app.logs import configure_logging
from app.middleware import REQUEST_ID_HEADER, BodyLimitMiddleware, RequestContextMiddleware
from app.proxies import ProxyHeadersMiddleware, ProxyTrust
from app.response_cache import ResponseCache, ResponseCacheMiddleware, SharedEpoch
from db.session import Database
from resolvers.platform.clock import Clock, SystemClock
from schema import build_schema
from schema.platform.cache_policy import CachePolicy
from schema.platform.guards import Limits
from schema.platform.view import GraphQLView, refusal
from settings import Settings, get_settings

if TYPE_CHECKING:
    from app.metrics import Metrics
    from app.tracing import Tracing

logger = logging.getLogger("medimyth")


async def healthz(_: Request) -> JSONResponse:
    """The process is alive; says nothing about the database on purpose."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready when PostgreSQL answers; a load balancer stops routing here while it does not."""
    database: Database = request.app.state.database
    # What this worker's live hub holds open (resolvers/platform/hub.py): how many streams,
    # and whether it hears changes; the tests count leftovers with it.
    hub = getattr(request.app.state, "hub", None)
    live: dict[str, object] = {} if hub is None else {"live": hub.gauge()}
    cache: ResponseCache | None = getattr(request.app.state, "response_cache", None)
    if cache is not None:
        live["cache"] = cache.gauge()
    if await database.ping():
        return JSONResponse({"status": "ready", "database": "ok", **live})
    return JSONResponse(
        {"status": "unavailable", "database": "unreachable", **live}, status_code=503
    )


# What an Origin header looks like; anything else is not echoed back in the answer.
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


async def cors_off(request: Request) -> Response:
    """A CORS preflight when no origin is allowed: say so, and what to set (not a bare 405)."""
    origin = request.headers.get("origin")
    if origin is None or "access-control-request-method" not in request.headers:
        return PlainTextResponse("Method Not Allowed", 405, headers={"Allow": "GET, POST"})
    shown = origin if _ORIGIN.fullmatch(origin) else "https://your.app"
    message = f"CORS is off: set CORS_ORIGINS={shown} to allow this origin."
    return refusal(403, message, "FORBIDDEN")


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    database: Database | None = None,
) -> Starlette:
    """Build the app. Nothing connects here: the engine is made in the lifespan, after fork."""
    settings = settings or get_settings()
    clock = clock or SystemClock()
    load_bundle()  # a missing or broken GraphiQL bundle stops the start, not the first visitor
    # Made before gunicorn forks (preload_app), so every worker shares the epoch.
    cache = (
        ResponseCache(
            epoch=SharedEpoch(),
            max_bytes=settings.response_cache_bytes,
            max_entry_bytes=settings.max_request_bytes * 16,
        )
        if settings.response_cache
        else None
    )
    # Imported only when on: without them the app loads neither library (app/metrics.py,
    # app/tracing.py) and a request pays nothing for them.
    metrics: Metrics | None = None
    if settings.metrics_enabled:
        from app.metrics import Metrics

        metrics = Metrics(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tracing: Tracing | None = None
        if settings.otel_traces_exporter is not None:
            from app.tracing import Tracing

            tracing = Tracing.start(settings)
        # One hub per worker, after fork: its listening connection is the worker's own.
        hub = build_hub(settings)
        if cache is not None:
            hear_catalogue(hub, cache)
        await hub.start()
        app.state.hub = hub
        try:
            if database is not None:
                if tracing is not None:
                    tracing.instrument(database)
                yield  # the caller owns the database (tests)
                return
            owned = Database(settings, pool_watch=metrics)
            if tracing is not None:
                tracing.instrument(owned)
            app.state.database = owned
            try:
                yield
            finally:
                await owned.dispose()
        finally:
            # By now the server has closed every WebSocket (app/server.py): nothing watches.
            app.state.hub = None
            await hub.stop()
            if tracing is not None:
                tracing.stop()

    clock = clock or SystemClock()
    schema = build_schema(Limits.from_settings(settings))
    sdl = str(schema)
    graphql = GraphQLView(
        schema,
        settings=settings,
        clock=clock,
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        ide_page=graphiql_page.render,
        # Queries only: Strawberry refuses a mutation sent with GET (400).
        allow_queries_via_get=True,
        # Subscriptions: graphql-transport-ws only (the legacy graphql-ws protocol is
        # another handler, without our limits); connection_init within LIVE_INIT_SECONDS;
        # the limits on open subscriptions are schema/platform/transport.py's; a page on
        # another origin may open a socket only when CORS allows that origin.
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        connection_init_wait_timeout=timedelta(seconds=settings.live_init_seconds),
        max_subscriptions_per_connection=None,
        allowed_origins=settings.cors_origins,
        cache_policy=None if cache is None else CachePolicy(sdl),
        after_mutation=None if cache is None else cache.epoch.bump,
    )
    # Outermost first: the client's address behind trusted proxies, before anything reads
    # it; then every answer (a 413 or a 500 too) gets an id, headers and a log line.
    middleware = [
        Middleware(ProxyHeadersMiddleware, trust=ProxyTrust.from_settings(settings)),
        Middleware(RequestContextMiddleware, settings=settings, metrics=metrics),
    ]
    if settings.otel_traces_exporter is not None:
        from app.tracing import server_spans

        # Outermost: the server span holds everything the request does, a 413 or 429 too.
        middleware.insert(0, server_spans())
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=[
                    "Authorization",
                    "Content-Type",
                    REQUEST_ID_HEADER,
                    "Apollo-Require-Preflight",
                    "X-Apollo-Operation-Name",
                ],
                # Retry-After is no CORS-safelisted header: without this a page could
                # not read when to retry a 429 (the body says it too).
                expose_headers=[REQUEST_ID_HEADER, RETRY_AFTER_HEADER],
                max_age=600,
            )
        )
    # Inside CORS, so a browser can read the 429 of an allowed origin; before the body
    # limit, so a client over its budget is refused before its body is read.
    middleware.append(Middleware(RequestBudgetMiddleware, settings=settings, clock=clock))
    # Inside CORS, so a browser can read the 413 of an allowed origin.
    middleware.append(
        Middleware(
            BodyLimitMiddleware,
            max_bytes=settings.max_request_bytes,
            read_seconds=float(settings.body_timeout_seconds),
        )
    )
    if cache is not None:
        # Innermost: a cached answer is still counted by the budgets and the body limits.
        middleware.append(
            Middleware(
                ResponseCacheMiddleware,
                cache=cache,
                path="/graphql",
                cdn_max_age=settings.cdn_max_age_seconds,
            )
        )
    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/static/graphiql/{name}", serve_asset, methods=["GET"]),
        Route(feeds.DOCTOR_FEED_ROUTE, feeds.doctor_feed, methods=["GET"]),
        Route(feeds.APPOINTMENT_ROUTE, feeds.appointment_calendar, methods=["GET"]),
    ]
    if metrics is not None:
        from app.metrics import METRICS_PATH, metrics_endpoint

        routes.append(Route(METRICS_PATH, metrics_endpoint, methods=["GET"]))
    if not settings.cors_origins:
        # With CORS on, CORSMiddleware answers every preflight before any route.
        routes.append(Route("/graphql", cors_off, methods=["OPTIONS"]))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
    )
    if database is not None:
        app.state.database = database
    app.state.metrics = metrics
    # What the plain (non-GraphQL) routes read; the GraphQL view holds its own.
    app.state.settings = settings
    app.state.clock = clock
    app.state.response_cache = cache
    app.state.schema_sdl = sdl
    return app


def default_app() -> Starlette:
    """The app as gunicorn serves it: settings and logging from the environment."""
    configure_logging(get_settings())
    return create_app()
