"""graphql-transport-ws as MediMyth serves it: Strawberry's handler with our limits and sessions.

Differences from Strawberry's own handler:

- subscriptions only (a query or mutation goes over HTTP, through its budgets and limits);
- each operation gets its own context (its own request session and loaders), not the
  one the connection shares: two streams on one socket never share an AsyncSession;
- at most ``live_max_subscriptions_per_connection`` per socket and
  ``live_max_subscriptions_per_address`` per client address in this worker, refused
  with a coded ``error`` message;
- a stream sends a value only when it differs from the last one it sent (a re-read
  after a notification that changed nothing else is not news);
- a stream refused before its first value (a wrong manage token, an operation over
  the cost limit) answers ``error``, not a ``next`` with errors.
"""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError, GraphQLFormattedError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)

# Private to Strawberry: raised by its pre-execution error handling when it has closed
# the socket (a syntax error); run_operation below must end quietly on it as Strawberry's does.
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    _OperationStreamClosed as OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ErrorMessage,
    SubscribeMessage,
)
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.utils.aio import aclosing

from resolvers.platform.errors import ErrorCode
from resolvers.platform.hub import Hub
from schema.platform.context import Context

logger = logging.getLogger("medimyth.live")

SUBSCRIPTIONS_ONLY = (OperationType.SUBSCRIPTION,)


def refused(message: str, code: ErrorCode = ErrorCode.BAD_USER_INPUT) -> GraphQLFormattedError:
    return GraphQLError(message, extensions={"code": code.value}).formatted


class TransportHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """One WebSocket: its operations, each a subscription with a context of its own."""

    context: Context

    @property
    def hub(self) -> Hub:
        assert self.context.hub is not None  # the view refuses sockets without a hub
        return self.context.hub

    async def handle(self) -> None:
        self.hub.connections += 1
        try:
            await super().handle()
        finally:
            self.hub.connections -= 1

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if not self.connection_acknowledged or message["id"] in self.operations:
            await super().handle_subscribe(message)  # closes the socket, as the protocol says
            return
        settings = self.context.settings
        per_connection = settings.live_max_subscriptions_per_connection
        if len(self.operations) >= per_connection:
            await self._refuse(message, f"At most {per_connection} subscriptions per connection.")
            return
        address = self.context.client_address
        per_address = settings.live_max_subscriptions_per_address
        if not self.hub.admit(address, limit=per_address):
            await self._refuse(
                message, f"At most {per_address} open subscriptions per client address."
            )
            return
        try:
            await super().handle_subscribe(message)
        except BaseException:
            self.hub.release(address)  # a malformed message: the socket is being closed
            raise
        operation = self.operations.get(message["id"])
        if operation is None or operation.task is None:
            self.hub.release(address)
            return
        operation.task.add_done_callback(lambda _task: self.hub.release(address))

    async def _refuse(self, message: SubscribeMessage, text: str) -> None:
        error: ErrorMessage = {"id": message["id"], "type": "error", "payload": [refused(text)]}
        await self.send_message(error)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        # Strawberry's run_operation, with the operation's own context and subscriptions only.
        context = self.context.for_operation()
        try:
            result_source = await self.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=context,
                root_value=self.root_value,
                operation_name=operation.operation_name,
                allowed_operation_types=SUBSCRIPTIONS_ONLY,
            )
            async with aclosing(result_source):
                await self._send_result_stream(operation, result_source)
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except OperationStreamClosed:
            return
        except Exception as error:
            await self.handle_task_exception(error)
            try:
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            except Exception:  # noqa: BLE001 - the socket may be gone already
                logger.debug("could not complete a failed operation")
            self.operations.pop(operation.id, None)
            raise
        finally:
            await context.db.close()

    async def _send_result_stream(
        self, operation: Operation[Context, None], result_source: Any
    ) -> None:
        first = True
        last: object = None
        async for result in result_source:
            if first and isinstance(result, PreExecutionError):
                await self._handle_pre_execution_error(operation, result)
                return
            if not isinstance(result, ExecutionResult):
                await self._reject_incremental_delivery(operation)
                return
            if first and result.data is None and result.errors:
                # Refused before its first value: the protocol's error message.
                await operation.send_initial_errors(result.errors)
                return
            payload = (result.data, [error.formatted for error in result.errors or ()])
            if payload != last:
                await operation.send_next(result)
                last = payload
            first = False
