"""What an operation costs, from its document and variables, before it runs; refused over a budget.

The model is GitHub's and Shopify's: every field costs 1, and a list multiplies
its selection by how many items it may hold. A connection's edges hold its page
size (``first``/``last``, else the default page), a field over a date range
(``from``/``to``, a doctor's sessions say) one item per day, and any other list
of objects LIST_ESTIMATE. Leaves and lists of leaves cost 1. Fragments count once
per spread, @skip/@include are honoured with the request's variables, and the
introspection fields cost 1 (answered from memory, bounded by the schema; off in
production). The cost is an upper estimate of what the answer can hold, not a
count of it, so a client can compute it from its own document and variables.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_list_type,
)
from graphql.execution import get_argument_values, get_directive_values, get_variable_values
from graphql.execution.values import VariableValues
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from resolvers.platform.pagination import DEFAULT_PAGE_SIZE
from schema.platform.request_facts import current_request

# Items assumed in a list with no page size or date range (a doctor's schedules, a
# vacation's schedules, a session's appointments): a few in practice, never huge.
LIST_ESTIMATE = 10
DEFAULT_MAX_COST = 5000
# The lists a connection pages: they hold its page size, not LIST_ESTIMATE.
_PAGED_LISTS = frozenset({"edges", "nodes"})
_INTROSPECTION = frozenset({"__schema", "__type"})


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    *,
    operation_name: str | None = None,
    variables: object = None,
) -> int | None:
    """The operation's cost with these variables; None when it cannot run (execution says why).

    The document must be valid for the schema (validation runs first).
    """
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    root = schema.get_root_type(operation.operation)
    if root is None:
        return None
    # As the client sent them: anything but an object is refused by execution.
    if variables is None:
        variables = {}
    if not isinstance(variables, dict):
        return None
    coerced = get_variable_values(
        schema, operation.variable_definitions or (), variables, max_errors=1
    )
    if isinstance(coerced, list):
        return None  # variables that do not fit: refused by execution before any resolver
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    return _Counter(schema, fragments, coerced).selections(operation.selection_set, root, None)


class _Counter:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: VariableValues,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selections(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType, page: int | None
    ) -> int:
        """The cost of a selection; ``page``: the page size, when parent is a connection."""
        return sum(
            self._field(node, parent, page) for node, parent in self._fields(selection_set, parent)
        )

    def _fields(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType
    ) -> Iterator[tuple[FieldNode, GraphQLNamedType]]:
        """Each field selected, with its parent type, through every fragment (once per spread)."""
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                yield selection, parent
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = parent if condition is None else self.schema.get_type(condition.name.value)
                if inner is not None:
                    yield from self._fields(selection.selection_set, inner)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    inner = self.schema.get_type(fragment.type_condition.name.value)
                    if inner is not None:
                        yield from self._fields(fragment.selection_set, inner)

    def _included(self, node: SelectionNode) -> bool:
        # graphql-core's own rule (collect_fields): @skip(if: true) or @include(if: false) drop it.
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip is not None and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include is not None and include.get("if") is False)

    def _field(self, node: FieldNode, parent: GraphQLNamedType, page: int | None) -> int:
        name = node.name.value
        if node.selection_set is None or name in _INTROSPECTION:
            return 1
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 1
        definition = parent.fields.get(name)
        if definition is None:
            return 1
        arguments = self._arguments(definition, node) if definition.args else {}
        child_page = _page_size(arguments) if _is_connection(definition.args) else None
        items = 1
        if is_list_type(get_nullable_type(definition.type)):
            if name in _PAGED_LISTS and page is not None:
                items = page
            else:
                items = _days(arguments) or LIST_ESTIMATE
        inner = get_named_type(definition.type)
        return 1 + items * self.selections(node.selection_set, inner, child_page)

    def _arguments(self, definition: GraphQLField, node: FieldNode) -> dict[str, Any]:
        try:
            return get_argument_values(definition, node, self.variables)
        except GraphQLError:
            return {}  # validated already; execution reports anything else


def _is_connection(arguments: Mapping[str, Any]) -> bool:
    return "first" in arguments or "last" in arguments


def _page_size(arguments: Mapping[str, Any]) -> int:
    for name in ("first", "last"):
        value = arguments.get(name)
        if isinstance(value, int):
            return max(value, 0)  # a negative page is refused when it runs
    return DEFAULT_PAGE_SIZE


def _days(arguments: Mapping[str, Any]) -> int | None:
    """Days in a ``from``/``to`` range, both ends included; None when the field has none."""
    start, end = arguments.get("from"), arguments.get("to")
    if not isinstance(start, date) or not isinstance(end, date):
        return None
    return max((end - start).days + 1, 1)  # a reversed range is refused when it runs


def over_budget(cost: int, limit: int) -> GraphQLError:
    """The top-level error of an operation over the budget (coded BAD_USER_INPUT on its way out)."""
    return GraphQLError(
        f"The operation costs {cost}, more than the limit of {limit}: ask for smaller "
        "pages, shorter date ranges or fewer nested lists.",
        extensions={"cost": cost, "limit": limit},
    )


class QueryCost(SchemaExtension):
    """Costs the operation once it is valid and refuses it over ``max_cost``; the log gets the cost.

    Strawberry executes only when no extension has set a result before its
    execution hook yields: a refused operation runs no resolver and no SQL.
    """

    def __init__(self, *, max_cost: int = DEFAULT_MAX_COST) -> None:
        super().__init__()
        self.max_cost = max_cost

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            cost = operation_cost(
                context.schema._schema,
                document,
                operation_name=context.operation_name,
                variables=context.variables,
            )
            facts = current_request()
            if facts is not None:
                facts.cost = cost
            if cost is not None and cost > self.max_cost:
                if context.operation_type is OperationType.SUBSCRIPTION:
                    # Strawberry subscribes whatever result is set here; an error raised
                    # here is what stops a subscription before its resolver runs.
                    raise over_budget(cost, self.max_cost)
                context.result = ExecutionResult(
                    data=None, errors=[over_budget(cost, self.max_cost)]
                )
        yield
