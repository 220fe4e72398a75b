"""What one operation may cost (depth, aliases, tokens, cost) and what it may see (introspection).

The validation rules are built once, with the schema, and every request's
extensions add those same rule classes: the ValidationCache keys on the rule
tuple, so a rule class made per request would never hit the cache.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.types.graphql import OperationType

from db.session import RequestSession
from schema.platform.cost import DEFAULT_MAX_COST, QueryCost
from schema.platform.request_facts import current_request
from settings import Settings


@dataclass(frozen=True, slots=True)
class Limits:
    max_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 2000
    max_cost: int = DEFAULT_MAX_COST
    introspection: bool = True
    # Not a limit, but set with them from the settings when the schema is built:
    # whether it executes on the fast path (schema/platform/execution.py).
    fast_path: bool = True
    fast_path_without: frozenset[str] = frozenset()
    # Whether operations get OpenTelemetry spans (schema/platform/spans.py).
    traced: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_depth=settings.graphql_max_depth,
            max_aliases=settings.graphql_max_aliases,
            max_tokens=settings.graphql_max_tokens,
            max_cost=settings.graphql_max_cost,
            introspection=settings.introspection_enabled,
            fast_path=settings.graphql_fast_path,
            fast_path_without=settings.graphql_fast_path_without,
            traced=settings.otel_traces_exporter is not None,
        )


def validation_rules(
    limits: Limits, *, once_per_request: frozenset[str] = frozenset()
) -> list[type[ASTValidationRule]]:
    """The limits as graphql-core rules; each reports a plain validation error (BAD_USER_INPUT)."""
    rules = [
        *QueryDepthLimiter(max_depth=limits.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=limits.max_aliases).validation_rules,
    ]
    if once_per_request:
        rules.append(once_per_request_rule(once_per_request))
    if not limits.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return rules


def once_per_request_rule(field_names: frozenset[str]) -> type[ASTValidationRule]:
    """A rule refusing a document whose operation selects one of these root fields twice.

    For root fields that cost money each time they run (an SMS): aliases would otherwise
    multiply one request into many sends. Counted by response key through fragments, since
    two selections with one key merge into one execution.
    """

    class OncePerRequest(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: object) -> None:
            keys: dict[str, set[str]] = {}
            self._collect(node.selection_set, keys, set())
            for name, responses in sorted(keys.items()):
                if len(responses) > 1:
                    self.report_error(
                        GraphQLError(
                            f"{name} may be asked for once per request; "
                            f"this operation asks {len(responses)} times.",
                            node,
                        )
                    )

        def _collect(
            self, selections: SelectionSetNode, keys: dict[str, set[str]], seen: set[str]
        ) -> None:
            for selection in selections.selections:
                if isinstance(selection, FieldNode):
                    if selection.name.value in field_names:
                        key = (selection.alias or selection.name).value
                        keys.setdefault(selection.name.value, set()).add(key)
                elif isinstance(selection, InlineFragmentNode):
                    self._collect(selection.selection_set, keys, seen)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.context.get_fragment(name)
                    if fragment is not None and name not in seen:
                        seen.add(name)
                        self._collect(fragment.selection_set, keys, seen)

    return OncePerRequest


def guard_extensions(
    limits: Limits, *, once_per_request: frozenset[str] = frozenset()
) -> list[Callable[[], SchemaExtension]]:
    """Factories for the schema's extensions list: fresh instances, shared rule classes.

    The token limit is a parse option: graphql-core stops reading the document at
    the first token past it ("Document contains more than N tokens"), a syntax
    error that leaves as BAD_USER_INPUT. ParserCache keys on the options too.
    The cost depends on the variables, so it is no validation rule (those are
    cached per document): QueryCost counts it after validation, before execution.
    """
    rules = validation_rules(limits, once_per_request=once_per_request)
    return [
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: AddValidationRules(rules),
        lambda: QueryCost(max_cost=limits.max_cost),
    ]


class CodedParserCache(ParserCache):
    """ParserCache whose syntax errors (the token limit's too) still leave with a code.

    ParserCache parses while Strawberry *enters* its parsing hook, outside the
    try that turns a syntax error into an ordinary result; the error would then
    skip every on_operation hook, ErrorCodes included. On an error this leaves
    the document unset, and Strawberry's own parse meets it again inside the try.
    """

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with contextlib.suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield


_GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")


class RecordOperation(SchemaExtension):
    """Records the operation: its name and errors for the log line, and that a query only reads.

    A query's request session may then skip the transaction block (db/session.py).
    One extension for both: Strawberry runs every extension's hooks on every request.
    """

    def on_execute(self) -> Iterator[None]:
        if self.execution_context.operation_type is OperationType.QUERY:
            db = getattr(self.execution_context.context, "db", None)
            if isinstance(db, RequestSession):
                db.only_reads()
        yield

    def on_operation(self) -> Iterator[None]:
        facts = current_request()
        if facts is not None:
            facts.operation = self._operation_name()
        yield
        if facts is not None:
            facts.operation = self._operation_name()  # the document's own name, once parsed
            result = self.execution_context.result
            facts.graphql_errors = bool(result is not None and result.errors)

    def _operation_name(self) -> str | None:
        # The client chooses the name: only a real GraphQL name reaches the log.
        name: object = self.execution_context.operation_name
        return name if isinstance(name, str) and _GRAPHQL_NAME.fullmatch(name) else None
