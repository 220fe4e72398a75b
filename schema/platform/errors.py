"""Top-level errors: each leaves with extensions.code, and none with internals."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from db.outage import UNAVAILABLE_MESSAGE, is_database_unavailable, outage
from db.session import is_statement_timeout
from resolvers.platform import errors as results
from schema.platform.request_facts import current_request_id

logger = logging.getLogger("medimyth.errors")

# Every code a top-level error may carry, the API's promise to clients. RATE_LIMITED is
# never raised inside GraphQL: app/budgets.py answers it with HTTP 429 before parsing.
TOP_LEVEL_CODES = (
    results.ErrorCode.UNAUTHENTICATED,
    results.ErrorCode.FORBIDDEN,
    results.ErrorCode.BAD_USER_INPUT,
    results.ErrorCode.INTERNAL_SERVER_ERROR,
    results.ErrorCode.RATE_LIMITED,
)

INTERNAL_MESSAGE = "Internal server error."
TIMEOUT_MESSAGE = "The request took too long and was stopped; try again, or ask for less."
UNSTORABLE_MESSAGE = "The request holds text PostgreSQL cannot store (a NUL character, say)."
# graphql-core's hints ("Did you mean "name"?", "... the enum value 'NAME'?") name
# fields and values of the schema: with introspection off they would leak it anyway.
_SUGGESTION = re.compile(r"\s*Did you mean .*$", re.DOTALL)
# character_not_in_repertoire and untranslatable_character: a NUL or an unencodable character in
# some string argument, caught where it reaches PostgreSQL. The client's mistake, not a bug.
_UNSTORABLE_TEXT = frozenset({"22021", "22P05"})


# Only a WebSocket meets these (over HTTP the view answers 400 first): a query or mutation
# sent as a subscription, or a document whose operation cannot be told.
_WRONG_OPERATION = (InvalidOperationTypeError, CannotGetOperationTypeError)
WRONG_OPERATION_MESSAGE = (
    "Only subscriptions run over a WebSocket: send queries and mutations to /graphql over HTTP."
)


def _is_unstorable_text(error: BaseException) -> bool:
    orig = getattr(error, "orig", None)
    return getattr(orig, "sqlstate", None) in _UNSTORABLE_TEXT


def coded(error: GraphQLError, *, suggestions: bool = True) -> GraphQLError:
    """Give a top-level error its extensions.code; hide anything that is a bug."""
    original = error.original_error
    if isinstance(original, results.CodedError):
        code, message = original.code, original.message
    elif isinstance(original, _WRONG_OPERATION):
        code, message = results.ErrorCode.BAD_USER_INPUT, WRONG_OPERATION_MESSAGE
    elif original is None or (isinstance(original, GraphQLError) and error.path is None):
        # Parse, validation and variable-coercion errors (these carry the scalar's or
        # enum's own GraphQLError, and no path): the request was malformed.
        code, message = results.ErrorCode.BAD_USER_INPUT, error.message
        if not suggestions:
            message = _SUGGESTION.sub("", message)
    elif is_statement_timeout(original):
        # The API promises five codes (TOP_LEVEL_CODES); a timeout is the server's
        # failure, told apart by its message (and logged as a warning, not as a bug).
        code, message = results.ErrorCode.INTERNAL_SERVER_ERROR, TIMEOUT_MESSAGE
    elif is_database_unavailable(original):
        # The server's failure too, and a passing one: told apart so a client retries.
        code, message = results.ErrorCode.INTERNAL_SERVER_ERROR, UNAVAILABLE_MESSAGE
    elif _is_unstorable_text(original):
        code, message = results.ErrorCode.BAD_USER_INPUT, UNSTORABLE_MESSAGE
    else:
        code, message = results.ErrorCode.INTERNAL_SERVER_ERROR, INTERNAL_MESSAGE
    extensions = {**(error.extensions or {}), "code": code.value}
    request_id = current_request_id()
    if request_id is not None and code in _TRACEABLE:
        extensions["requestId"] = request_id  # what support asks for to find the log line
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


_TRACEABLE = (results.ErrorCode.INTERNAL_SERVER_ERROR,)


class ErrorCodes(SchemaExtension):
    """Runs after execution: every top-level error leaves with a code and no internals."""

    def __init__(self, *, suggestions: bool = True) -> None:
        super().__init__()
        self.suggestions = suggestions

    def on_operation(self) -> Iterator[None]:
        self._streamed = False
        yield
        if self._streamed:
            return  # a subscription's results were coded one by one, as they were sent
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [coded(error, suggestions=self.suggestions) for error in result.errors]

    def on_stream_result(self, result: Any) -> Iterator[None]:
        """Each value a subscription sends, coded as it leaves (on_operation ends late)."""
        self._streamed = True
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [coded(error, suggestions=self.suggestions) for error in errors]
        yield


def log_unexpected(error_list: list[GraphQLError]) -> None:
    """Log bugs with their traceback; expected, coded errors are not worth a stack trace."""
    counted = False
    for error in error_list:
        original = error.original_error
        if original is None or isinstance(original, (results.CodedError, *_WRONG_OPERATION)):
            continue
        if isinstance(original, GraphQLError) and error.path is None:
            continue  # a malformed variable: the client's mistake
        if _is_unstorable_text(original):
            continue  # a NUL in a string argument: the client's mistake too
        if is_statement_timeout(original):
            # Expected under load or for a costly query; the limit did its job.
            logger.warning("statement timeout in %s", error.path)
        elif is_database_unavailable(original):
            # Counted once per request, and logged once per outage (db/outage.py).
            if not counted:
                outage.request_failed(original)
                counted = True
        else:
            logger.error("unexpected error in %s", error.path, exc_info=original)
