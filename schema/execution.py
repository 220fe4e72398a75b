"""The executor: graphql-core's, with a fast path for plain scalar fields.

A page of 50 doctors with their schedules resolves about 1,200 fields, and about
1,000 of them are plain attributes of a Strawberry object (``id``, ``name``,
``startTime``...). graphql-core spends its full per-field machinery on each
(a resolve info, the resolver wrapper, awaitable checks, value completion through
the wrapping types): most of a request's CPU. This executor reads such a field
straight off the object and coerces it with the field type's own output coercion,
the same two steps the full path takes, and hands every other field, and any plain
field whose value is null where null is not allowed or fails coercion, to
graphql-core's full path, which then reports the error exactly as before.

A field takes the fast path only when Strawberry itself resolves it with its
"basic field" resolver (no resolver function, no permission classes, no field
extensions), it takes no arguments, its type is a scalar or an enum (nullable or
not), and no graphql-core middleware is installed.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from operator import attrgetter
from typing import Any, NamedTuple

from graphql import (
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.schema import Schema
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import CustomGraphQLEnumType, GraphQLCoreConverter
from strawberry.types import Info
from strawberry.types.field import StrawberryField


class PlainField(NamedTuple):
    """How to answer one plain field without graphql-core's per-field machinery."""

    read: Callable[[Any], Any]
    coerce: Callable[[Any], Any]
    non_null: bool

    def answer(self, source: Any) -> Any:
        """The field's output value, or IRREGULAR when the full path must answer it.

        Irregular: null where null is not allowed, or a value that fails coercion;
        the full path then reports the error exactly as it always has.
        """
        try:
            value = self.read(source)
            if value is None:
                return IRREGULAR if self.non_null else None
            coerced = self.coerce(value)
        except Exception:  # noqa: BLE001 - the full path reports it
            return IRREGULAR
        return IRREGULAR if coerced is None or coerced is Undefined else coerced


IRREGULAR = object()


class Step(NamedTuple):
    """One entry of a selection's plan: a plain field's shortcut, or None for the full path."""

    response_name: str
    field_details_list: FieldDetailsList
    plain: PlainField | None
    typename: str | None


# Per schema field, decided once for the process: keyed by identity (the field is
# kept in the value, so its id cannot be reused).
_PLAIN: dict[int, tuple[GraphQLField, PlainField | None]] = {}


def plain_field(field_def: GraphQLField) -> PlainField | None:
    """The shortcut for this schema field, or None when it needs the full path."""
    known = _PLAIN.get(id(field_def))
    if known is not None and known[0] is field_def:
        return known[1]
    plain = _plain_field(field_def)
    _PLAIN[id(field_def)] = (field_def, plain)
    return plain


def _plain_field(field_def: GraphQLField) -> PlainField | None:
    resolve = field_def.resolve
    if field_def.args or resolve is None or not getattr(resolve, "_is_default", False):
        return None
    definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or definition.default_resolver is not getattr:
        return None
    field_type = field_def.type
    non_null = isinstance(field_type, GraphQLNonNull)
    named = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
    if not is_leaf_type(named):
        return None
    coerce = named.coerce_output_value
    if isinstance(named, CustomGraphQLEnumType):
        # Strawberry's enum coercion scans every value for each member; a lookup from
        # member to name answers the same (anything else raises, and takes the full path).
        members: list[Any] = list(named.wrapped_cls)
        names = {
            member: name
            for member in members
            for name, value in named.values.items()
            if member.value == value.value
        }
        coerce = names.__getitem__
    return PlainField(attrgetter(definition.python_name), coerce, non_null)


class Executor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor with plain fields read and coerced in one step."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Keyed by the grouped field set's identity: graphql-core memoizes the set per
        # selection for the whole execution, so every item of a list shares one plan.
        # The set itself is kept in the value so its id cannot be reused meanwhile.
        self._plans: dict[int, tuple[GroupedFieldSet, list[Step] | None]] = {}

    def _plan(self, parent_type: GraphQLObjectType, fields: GroupedFieldSet) -> list[Step] | None:
        cached = self._plans.get(id(fields))
        if cached is not None and cached[0] is fields:
            return cached[1]
        steps: list[Step] = []
        for response_name, details in fields.items():
            field_name = details[0].node.name.value
            if field_name == "__typename":
                steps.append(Step(response_name, details, None, parent_type.name))
                continue
            field_def = parent_type.fields.get(field_name)
            plain = plain_field(field_def) if field_def is not None else None
            steps.append(Step(response_name, details, plain, None))
        # Strawberry always installs a manager; it wraps nothing unless an extension
        # implements a per-field `resolve` hook.
        manager = self.middleware_manager
        usable = (manager is None or not manager.middlewares) and any(
            step.plain is not None or step.typename is not None for step in steps
        )
        plan = steps if usable else None
        self._plans[id(fields)] = (fields, plan)
        return plan

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        plan = self._plan(parent_type, grouped_field_set)
        if plan is None:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        pending: list[str] = []
        is_awaitable = self.is_awaitable
        try:
            for response_name, details, plain, typename in plan:
                if typename is not None:
                    results[response_name] = typename
                    continue
                if plain is not None:
                    answer = plain.answer(source_value)
                    if answer is not IRREGULAR:
                        results[response_name] = answer
                        continue
                result = self.execute_field(
                    parent_type,
                    source_value,
                    details,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        pending.append(response_name)
        except Exception:
            if pending:
                self.settle_in_background([results[name] for name in pending])
            raise
        if not pending:
            return results
        return self._gather(results, pending)

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        items: Any,
        position_context: Any,
    ) -> Any:
        # A list of objects whose selected fields are all plain (a doctor's schedules):
        # one tight loop instead of the per-item completion recursion.
        steps = self._plain_object_steps(item_type, field_details_list, path)
        if steps is not None:
            items = items if isinstance(items, list | tuple) else list(items)
            completed = _complete_plain_objects(items, steps)
            if completed is not None:
                return completed
        return super().complete_iterable_value(
            item_type, field_details_list, info, path, items, position_context
        )

    def _plain_object_steps(
        self, item_type: GraphQLOutputType, field_details_list: FieldDetailsList, path: Path
    ) -> list[Step] | None:
        object_type = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if not isinstance(object_type, GraphQLObjectType) or object_type.is_type_of is not None:
            return None
        if self.get_stream_usage(field_details_list, path) is not None:
            return None
        fields, defer_usages, _ = self.collect_subfields(object_type, field_details_list)
        if defer_usages:
            return None
        plan = self._plan(object_type, fields)
        if plan is None or any(step.plain is None and step.typename is None for step in plan):
            return None
        return plan

    async def _gather(self, results: dict[str, Any], pending: list[str]) -> dict[str, Any]:
        if len(pending) == 1:
            results[pending[0]] = await results[pending[0]]
            return results
        values = await gather_with_cancel(*(results[name] for name in pending))
        results.update(zip(pending, values, strict=True))
        return results


def _complete_plain_objects(
    items: list[Any] | tuple[Any, ...], steps: list[Step]
) -> list[Any] | None:
    """Each item as its selected plain fields; None when any item needs the full path.

    The full path then completes the list again from the start and reports the error
    (a null item or value where null is not allowed, a value that fails coercion).
    """
    completed: list[Any] = []
    for item in items:
        if item is None:
            return None
        result: dict[str, Any] = {}
        for response_name, _details, plain, typename in steps:
            if plain is None:
                result[response_name] = typename
                continue
            answer = plain.answer(item)
            if answer is IRREGULAR:
                return None
            result[response_name] = answer
        completed.append(result)
    return completed


def lean_resolvers(schema: Schema) -> int:
    """Call simple resolvers directly instead of through Strawberry's resolver wrapper.

    Strawberry resolves a field with a resolver function through a chain built for
    the general case (argument conversion, field extensions, exception handlers,
    partials over extension resolvers): about 5 us a call, 100 calls on a page of 50
    doctors. For a sync resolver that takes only ``self`` and ``info``, has no field
    extensions (permissions are extensions) and no GraphQL arguments, in a schema
    without exception handlers, that chain reduces to ``resolver(source,
    info=Info(...))``: this installs exactly that call. Returns how many fields it
    changed.
    """
    if schema.exception_handlers:
        return 0
    info_class = schema.config.info_class
    changed = 0
    for named in schema._schema.type_map.values():
        if not isinstance(named, GraphQLObjectType) or named.name.startswith("__"):
            continue
        for field_def in named.fields.values():
            lean = _lean_resolver(field_def, info_class)
            if lean is not None:
                field_def.resolve = lean
                changed += 1
    return changed


def _lean_resolver(field_def: GraphQLField, info_class: type[Info]) -> Any | None:
    definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or field_def.args:
        return None
    resolver = definition.base_resolver
    if resolver is None or definition.extensions or definition.is_async or resolver.arguments:
        return None
    parameters = list(resolver.signature.parameters)
    info_parameter = resolver.info_parameter
    if resolver.self_parameter is None or parameters[1:] != (
        [info_parameter.name] if info_parameter is not None else []
    ):
        return None
    wrapped = resolver.wrapped_func
    if not inspect.isfunction(wrapped):  # staticmethods, classmethods: keep the general path
        return None
    function: Callable[..., Any] = wrapped
    if info_parameter is None:

        def plain(source: Any, _info: GraphQLResolveInfo[Any]) -> Any:
            return function(source)

        return plain
    info_name = info_parameter.name

    def with_info(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
        return function(source, **{info_name: info_class(_raw_info=info, _field=definition)})

    return with_info
