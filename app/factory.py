"""Builds the Starlette app: /graphql (API and GraphiQL), /healthz, /readyz, middleware."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.graphiql import page as graphiql_page
from app.graphiql.assets import load_bundle, serve_asset
from app.logs import configure_logging
from app.middleware import REQUEST_ID_HEADER, BodyLimitMiddleware, RequestContextMiddleware
from db.session import Database
from resolvers.platform.clock import Clock, SystemClock
from schema import build_schema
from schema.platform.guards import Limits
from schema.platform.view import GraphQLView
from settings import Settings, get_settings

logger = logging.getLogger("medimyth")


async def healthz(_: Request) -> JSONResponse:
    """The process is alive; says nothing about the database on purpose."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready when PostgreSQL answers; a load balancer stops routing here while it does not."""
    database: Database = request.app.state.database
    if await database.ping():
        return JSONResponse({"status": "ready", "database": "ok"})
    return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    database: Database | None = None,
) -> Starlette:
    """Build the app. Nothing connects here: the engine is made in the lifespan, after fork."""
    settings = settings or get_settings()
    load_bundle()  # a missing or broken GraphiQL bundle stops the start, not the first visitor

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if database is not None:
            yield  # the caller owns the database (tests)
            return
        owned = Database(settings)
        app.state.database = owned
        try:
            yield
        finally:
            await owned.dispose()

    graphql = GraphQLView(
        build_schema(Limits.from_settings(settings)),
        settings=settings,
        clock=clock or SystemClock(),
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        ide_page=graphiql_page.render,
        # Queries only: Strawberry refuses a mutation sent with GET (400).
        allow_queries_via_get=True,
    )
    # Outermost first: every answer (a 413 or a 500 too) gets an id, headers and a log line.
    middleware = [Middleware(RequestContextMiddleware, settings=settings)]
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
                expose_headers=[REQUEST_ID_HEADER],
                max_age=600,
            )
        )
    # Inside CORS, so a browser can read the 413 of an allowed origin.
    middleware.append(Middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes))
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/static/graphiql/{name}", serve_asset, methods=["GET"]),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    if database is not None:
        app.state.database = database
    return app


def default_app() -> Starlette:
    """The app as gunicorn serves it: settings and logging from the environment."""
    configure_logging(get_settings())
    return create_app()
