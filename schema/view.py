"""The Strawberry ASGI view: builds the context and closes the request's session afterwards."""

from __future__ import annotations

import logging

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from db.session import Database, RequestSession
from ide import page as graphiql_page
from resolvers.clock import Clock
from resolvers.loaders import Loaders
from schema.context import Context
from settings import Settings

logger = logging.getLogger(__name__)

_SESSION_KEY = "medimyth.request_session"


class GraphQLView(GraphQL[Context, None]):
    def __init__(self, *args: object, settings: Settings, clock: Clock, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.settings = settings
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        database: Database = scope["app"].state.database
        request_session = database.request_session()
        scope.setdefault("state", {})[_SESSION_KEY] = request_session
        try:
            await super().__call__(scope, receive, send)
        finally:
            # Always hand the connection back, after errors and cancellations too.
            try:
                await request_session.close()
            except Exception:
                logger.exception("closing the request's session failed")

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        assert isinstance(request, Request)
        assert isinstance(response, Response)
        request_session: RequestSession = request.scope["state"][_SESSION_KEY]
        return Context(
            request=request,
            response=response,
            db=request_session,
            loaders=Loaders(request_session),
            clock=self.clock,
            settings=self.settings,
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        # Strawberry's page loads GraphiQL from a CDN; ours is served from here (see ide/).
        return graphiql_page.render(request)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)
