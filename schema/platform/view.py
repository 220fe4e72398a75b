"""The Strawberry ASGI view: builds the context and closes the request's session afterwards.

WebSockets (graphql-transport-ws subscriptions) are served by the same view through
schema/platform/transport.py, with the worker's live hub from the app's state.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.types import ExecutionResult, SubscriptionExecutionResult

from db.session import Database, RequestSession
from resolvers.loaders import Loaders
from resolvers.platform.clock import Clock
from resolvers.platform.hub import Hub
from schema.platform.cache_policy import CACHEABLE_STATE, Cacheable, CachePolicy
from schema.platform.context import Context
from schema.platform.transport import TransportHandler
from settings import Settings

logger = logging.getLogger(__name__)


def refusal(
    status: int,
    message: str,
    code: str = "BAD_USER_INPUT",
    *,
    extensions: Mapping[str, object] | None = None,
) -> Response:
    """A request refused before execution, shaped like a GraphQL response so clients read it."""
    body = {"errors": [{"message": message, "extensions": {"code": code, **(extensions or {})}}]}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


_SESSION_KEY = "medimyth.request_session"
# Automatic persisted queries (Apollo's protocol): documents this worker has been sent
# with their hash, so a client can send the hash alone, by GET (a CDN can cache that).
# Bounded in bytes, the least recently used dropped first: a client cannot fill memory.
PERSISTED_QUERY_BYTES = 4 * 1024 * 1024
# Apollo's CSRF rule: a browser sends these only after a CORS preflight, which
# another site's page cannot pass; a "simple" cross-site POST cannot carry them.
_PREFLIGHTED_HEADERS = ("x-apollo-operation-name", "apollo-require-preflight")


class TextWebSocketAdapter(ASGIWebSocketAdapter):
    """Protocol messages as text frames, as graphql-transport-ws requires.

    encode_json answers bytes (orjson, for HTTP bodies), and Strawberry sends bytes as
    binary frames, which a browser's graphql-ws client cannot read ("Message is
    missing the 'type' property" in GraphiQL).
    """

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as error:
            raise WebSocketDisconnected from error


class PersistedQueryNotFound(Exception):
    """A hash this worker has not been sent with its document (the client sends both next)."""


class GraphQLView(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportHandler
    websocket_adapter_class = TextWebSocketAdapter

    def __init__(
        self,
        *args: object,
        settings: Settings,
        clock: Clock,
        ide_page: Callable[[Request], Response] | None = None,
        cache_policy: CachePolicy | None = None,
        after_mutation: Callable[[], None] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.settings = settings
        self.clock = clock
        # The response cache's part here: which answers it may keep, and what to do once a
        # mutation has committed (app/response_cache.py bumps every worker's epoch).
        self.cache_policy = cache_policy
        self.after_mutation = after_mutation
        self.persisted: OrderedDict[str, str] = OrderedDict()
        self.persisted_bytes = 0
        # The web layer hands in its self-hosted GraphiQL page (the GraphQL layer
        # does not know about static assets).
        self.ide_page = ide_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            if getattr(scope["app"].state, "hub", None) is None:
                # The lifespan starts the hub; without it no stream could ever be woken.
                await WebSocket(scope, receive, send).close(1011, "Live updates are not running.")
                return
            await super().__call__(scope, receive, send)
            return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        database: Database = scope["app"].state.database
        request_session = database.request_session()
        scope.setdefault("state", {})[_SESSION_KEY] = request_session
        try:
            # Strawberry's own __call__ for HTTP, except that a refusal (GET mutation,
            # no query, wrong types, CSRF) answers JSON with a code, not plain text.
            try:
                response = await self.run(Request(scope=scope, receive=receive))
            except HTTPException as refused:
                response = refusal(refused.status_code, refused.reason)
            except PersistedQueryNotFound:
                # Apollo's clients read this message and send the document with its hash.
                response = refusal(200, "PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
            await response(scope, receive, send)
        finally:
            # Always hand the connection back, after errors and cancellations too.
            try:
                await request_session.close()
            except Exception:
                logger.exception("closing the request's session failed")

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        if isinstance(request, WebSocket):
            return self._socket_context(request)
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

    def _socket_context(self, socket: WebSocket) -> Context:
        """The connection's context; each operation makes its own from it (``for_operation``)."""
        database: Database = socket.app.state.database
        hub: Hub = socket.app.state.hub
        # Never used: every operation borrows a session of its own.
        unused = database.request_session()
        return Context(
            request=socket,
            response=Response(),
            db=unused,
            loaders=Loaders(unused),
            clock=self.clock,
            settings=self.settings,
            hub=hub,
            sessions=database.request_session,
        )

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> ExecutionResult | list[ExecutionResult] | SubscriptionExecutionResult:
        result = await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )
        if self.cache_policy is None or not isinstance(request_data, GraphQLRequestData):
            return result
        verdict = self.cache_policy.classify(request_data.query, request_data.operation_name)
        if verdict.mutation:
            # Its transaction has ended: answers cached before it may be stale.
            if self.after_mutation is not None:
                self.after_mutation()
        elif verdict.cacheable and isinstance(result, ExecutionResult) and not result.errors:
            request.scope.setdefault("state", {})[CACHEABLE_STATE] = Cacheable(
                request_data.operation_name
            )
        return result

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A persisted query's GET has no `query` parameter, and is no visit to GraphiQL.
        if "extensions" in request.query_params:
            return False
        return super().should_render_graphql_ide(request)

    async def render_graphql_ide(self, request: Request) -> Response:
        # Strawberry's page loads GraphiQL from a CDN; ours comes from app/graphiql/.
        if self.ide_page is None:
            return await super().render_graphql_ide(request)
        return self.ide_page(request)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        # orjson bounds nesting (1024) and raises a JSONDecodeError, where json.loads
        # would hit the recursion limit on a 64 KiB body of "[[[[..." and answer 500.
        return orjson.loads(data)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method == "POST":
            # The media type without parameters (Strawberry's parse_content_type
            # builds an email message for this; it runs again in super() below).
            content_type = (request.content_type or "").split(";", 1)[0].strip().lower()
            if content_type != "application/json" and not any(
                request.headers.get(name) for name in _PREFLIGHTED_HEADERS
            ):
                # A form or text/plain POST is what a cross-site page can send
                # without a preflight (CSRF); an API client sends JSON.
                raise HTTPException(
                    400,
                    "POST requests must have Content-Type: application/json "
                    "(or an Apollo-Require-Preflight header).",
                )
            body = await _json_body(self, request)
            if isinstance(body, list):
                raise HTTPException(
                    400, "Batched requests are not supported: send one operation per request."
                )
            if not isinstance(body, dict):
                raise HTTPException(400, "The request body must be a JSON object.")
            name = body.get("operationName")
            if name is not None and not isinstance(name, str):
                raise HTTPException(400, "operationName must be a string or null.")
        data = await super().parse_http_body(request)
        if isinstance(data, GraphQLRequestData) and data.extensions:
            return self._persisted(data)
        return data

    def _persisted(self, data: GraphQLRequestData) -> GraphQLRequestData:
        """The document a persisted query names; a document sent with its hash is kept."""
        assert data.extensions is not None
        persisted = data.extensions.get("persistedQuery")
        if persisted is None:
            return data
        digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise HTTPException(400, "persistedQuery must be {version: 1, sha256Hash}.")
        if not isinstance(digest, str) or len(digest) != 64:
            raise HTTPException(400, "persistedQuery.sha256Hash must be 64 hex digits.")
        digest = digest.lower()
        if data.query is None:
            query = self.persisted.get(digest)
            if query is None:
                raise PersistedQueryNotFound
            self.persisted.move_to_end(digest)
            return replace(data, query=query)
        if hashlib.sha256(data.query.encode()).hexdigest() != digest:
            raise HTTPException(400, "persistedQuery.sha256Hash is not the document's SHA-256.")
        if digest not in self.persisted:
            self.persisted[digest] = data.query
            self.persisted_bytes += len(data.query)
            while self.persisted_bytes > PERSISTED_QUERY_BYTES:
                _, dropped = self.persisted.popitem(last=False)
                self.persisted_bytes -= len(dropped)
        return data


async def _json_body(view: GraphQLView, request: AsyncHTTPRequestAdapter) -> Any:
    try:
        return view.decode_json(await request.get_body())
    except orjson.JSONDecodeError:
        raise HTTPException(400, "The request body is not valid JSON.") from None
