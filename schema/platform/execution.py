"""The executor: graphql-core's, with fast paths for plain fields and directly resolved objects.

A page of 50 doctors with their schedules resolves about 1,200 fields and 300
objects. graphql-core spends its full per-field machinery on each field (a resolve
info, the resolver wrapper, awaitable checks, value completion dispatched through
the wrapping types) and five calls of dispatch per object: most of a request's
CPU. This executor

- reads a plain field (schema/field_plans.py) straight off the object and coerces
  it with the field type's own output coercion, the two steps the full path takes;
- resolves an object field by its attribute or simple sync resolver and, when the
  value is an object already at hand, executes its selection directly (the call
  graphql-core's dispatch ends in); lists of objects likewise, item by item, with
  graphql-core's own error handling per item;

and hands everything else to graphql-core's full path: any plain field whose value
is null where null is not allowed or fails coercion, awaitable values, nulls,
deferred or streamed selections, abstract types, middleware. The full path then
answers, and reports errors, exactly as before; tests/platform/test_executor.py
runs documents through both executors and requires the same data and errors.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import strawberry
from graphql import GraphQLNonNull, GraphQLObjectType, GraphQLOutputType, GraphQLResolveInfo
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.execution.executor import to_nodes
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import ExecutionContext

from schema.platform.extension_runner import PreparedExtensionsRunner
from schema.platform.field_plans import (
    IRREGULAR,
    ObjectField,
    PlainField,
    lean_resolvers,
    object_field,
    plain_field,
)

__all__ = ["Executor", "FastPathSchema", "lean_resolvers"]


class FastPathSchema(strawberry.Schema):
    """strawberry.Schema with the fast path (Executor, lean resolvers, prepared hooks).

    ``fast_path=False`` builds exactly Strawberry's stock schema: graphql-core's
    execution context as Strawberry configures it, Strawberry's own extensions
    runner, Strawberry's resolvers (tests/platform/test_differential.py compares them).
    """

    def __init__(self, *args: Any, fast_path: bool = True, **kwargs: Any) -> None:
        if "execution_context_class" in kwargs:
            raise TypeError("FastPathSchema chooses the execution context: pass fast_path")
        self.fast_path = fast_path
        if self.fast_path:
            kwargs["execution_context_class"] = Executor
        super().__init__(*args, **kwargs)
        if self.fast_path:
            lean_resolvers(self)

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        if self.fast_path:
            return PreparedExtensionsRunner(
                execution_context=execution_context, extensions=extensions
            )
        return super().create_extensions_runner(execution_context, extensions)


class Step(NamedTuple):
    """One entry of a selection's plan; all of plain/obj/typename None means the full path."""

    response_name: str
    field_details_list: FieldDetailsList
    plain: PlainField | None
    obj: ObjectField | None
    typename: str | None


class Executor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor with plain fields and directly resolved objects in fewer steps."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Keyed by the grouped field set's identity: graphql-core memoizes the set per
        # selection for the whole execution, so every item of a list shares one plan.
        # The set itself is kept in the value so its id cannot be reused meanwhile.
        self._plans: dict[int, tuple[GroupedFieldSet, list[Step] | None]] = {}
        # The same, per plan: its fields' answers when all of them are plain.
        self._answers: dict[int, tuple[list[Step], list[tuple[str, Any]] | None]] = {}
        # Strawberry always installs a manager; it wraps nothing unless an extension
        # implements a per-field `resolve` hook.
        manager = self.middleware_manager
        self._direct = manager is None or not manager.middlewares

    def _plan(self, parent_type: GraphQLObjectType, fields: GroupedFieldSet) -> list[Step] | None:
        cached = self._plans.get(id(fields))
        if cached is not None and cached[0] is fields:
            return cached[1]
        steps: list[Step] = []
        for response_name, details in fields.items():
            field_name = details[0].node.name.value
            if field_name == "__typename":
                steps.append(Step(response_name, details, None, None, parent_type.name))
                continue
            field_def = parent_type.fields.get(field_name)
            plain = plain_field(field_def) if field_def is not None else None
            obj = object_field(field_def) if field_def is not None and plain is None else None
            steps.append(Step(response_name, details, plain, obj, None))
        usable = self._direct and any(
            step.plain is not None or step.obj is not None or step.typename is not None
            for step in steps
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
            for response_name, details, plain, obj, typename in plan:
                if typename is not None:
                    results[response_name] = typename
                    continue
                if plain is not None:
                    answer = plain.answer(source_value)
                    if answer is not IRREGULAR:
                        results[response_name] = answer
                        continue
                field_path = Path(path, response_name, parent_type.name)
                if obj is not None:
                    result = self._execute_object_field(
                        obj, parent_type, source_value, details, field_path, position_context
                    )
                else:
                    result = self.execute_field(
                        parent_type, source_value, details, field_path, position_context
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
        return _await_into(results, pending)

    def _execute_object_field(
        self,
        field: ObjectField,
        parent_type: GraphQLObjectType,
        source: Any,
        details: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        """graphql-core's execute_field for a field known to need no arguments or middleware.

        The same steps and the same error handling; what it skips is the field lookup,
        the argument check, the resolve info when the resolver reads an attribute, and,
        for an object at hand, the dispatch through complete_value.
        """
        return_type = field.return_type
        info: GraphQLResolveInfo[Any] | None = None
        try:
            if field.resolve is not None:
                info = self._info(field, details, parent_type, path)
                result = field.resolve(source, info)
            else:
                assert field.read is not None
                result = field.read(source)
            object_type = field.object_type
            if (
                object_type is not None
                and position_context is None
                and result is not None
                and not isinstance(result, Exception)
                and not self.is_awaitable(result)
            ):
                completed = self._complete_object(object_type, details, path, result)
                if completed is None:  # deferred parts: the full path
                    completed = self.complete_value(
                        return_type,
                        details,
                        info or self._info(field, details, parent_type, path),
                        path,
                        result,
                        position_context,
                    )
            else:
                info = info or self._info(field, details, parent_type, path)
                if self.is_awaitable(result):
                    return self.complete_awaitable_value(
                        return_type, details, info, path, result, position_context
                    )
                completed = self.complete_value(
                    return_type, details, info, path, result, position_context
                )
            if self.is_awaitable(completed):
                return self._completed_later(completed, return_type, details, path)
        except Exception as raw_error:  # noqa: BLE001 - as graphql-core: any error is a field error
            self.handle_field_error(raw_error, return_type, details, path)
            return None
        return completed

    def _info(
        self,
        field: ObjectField,
        details: FieldDetailsList,
        parent_type: GraphQLObjectType,
        path: Path,
    ) -> GraphQLResolveInfo[Any]:
        return self.build_resolve_info(field.definition, to_nodes(details), parent_type, path)

    def _complete_object(
        self, object_type: GraphQLObjectType, details: FieldDetailsList, path: Path, value: Any
    ) -> Any:
        """The object's selection executed, or None when it defers parts (full path)."""
        fields, defer_usages, _ = self.collect_subfields(object_type, details)
        if defer_usages:
            return None
        return self.execute_fields(object_type, value, path, fields, None)

    async def _completed_later(
        self,
        completed: Awaitable[Any],
        return_type: GraphQLOutputType,
        details: FieldDetailsList,
        path: Path,
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:  # noqa: BLE001 - as graphql-core
            self.handle_field_error(raw_error, return_type, details, path)
            return None

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        items: Any,
        position_context: Any,
    ) -> Any:
        object_type = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if (
            isinstance(object_type, GraphQLObjectType)
            and object_type.is_type_of is None
            and position_context is None
            and isinstance(items, list | tuple)
            and self.get_stream_usage(field_details_list, path) is None
        ):
            fields, defer_usages, _ = self.collect_subfields(object_type, field_details_list)
            plan = None if defer_usages else self._plan(object_type, fields)
            if plan is not None:
                answers = self._plain_answers(plan)
                if answers is not None:
                    # Objects of plain fields only (a doctor's schedules): one tight loop.
                    completed = _complete_plain_objects(items, answers)
                    if completed is not None:
                        return completed
                elif not any(item is None or self.is_awaitable(item) for item in items):
                    return self._complete_objects(
                        object_type, item_type, field_details_list, path, items, fields
                    )
        return super().complete_iterable_value(
            item_type, field_details_list, info, path, items, position_context
        )

    def _plain_answers(self, plan: list[Step]) -> list[tuple[str, Callable[[Any], Any]]] | None:
        """(response name, answer) per field when every field of the plan is plain, else None."""
        cached = self._answers.get(id(plan))
        if cached is not None and cached[0] is plan:
            return cached[1]
        found: list[tuple[str, Callable[[Any], Any]]] = []
        for step in plan:
            if step.plain is not None:
                found.append((step.response_name, step.plain.answer))
            elif step.typename is not None:
                found.append((step.response_name, _constant(step.typename)))
            else:
                break
        answers = found if len(found) == len(plan) else None
        self._answers[id(plan)] = (plan, answers)
        return answers

    def _complete_objects(
        self,
        object_type: GraphQLObjectType,
        item_type: GraphQLOutputType,
        details: FieldDetailsList,
        path: Path,
        items: list[Any] | tuple[Any, ...],
        fields: GroupedFieldSet,
    ) -> Any:
        """graphql-core's complete_iterable_value for objects at hand, none of them null."""
        completed: list[Any] = []
        awaited: list[int] = []
        is_awaitable = self.is_awaitable
        try:
            for index, item in enumerate(items):
                item_path = path.add_key(index, None)
                try:
                    value = self.execute_fields(object_type, item, item_path, fields, None)
                except Exception as raw_error:  # noqa: BLE001 - as graphql-core
                    self.handle_field_error(raw_error, item_type, details, item_path)
                    value = None
                else:
                    if is_awaitable(value):
                        value = self._completed_later(value, item_type, details, item_path)
                        awaited.append(index)
                completed.append(value)
        except Exception:
            if awaited:
                self.settle_in_background([completed[index] for index in awaited])
            raise
        if not awaited:
            return completed
        return _await_into(completed, awaited)


async def _await_into(container: Any, keys: list[Any]) -> Any:
    """Replace the awaitables at these keys (names of a dict, indexes of a list) by their values."""
    if len(keys) == 1:
        container[keys[0]] = await container[keys[0]]
        return container
    values = await gather_with_cancel(*(container[key] for key in keys))
    for key, value in zip(keys, values, strict=True):
        container[key] = value
    return container


def _complete_plain_objects(
    items: list[Any] | tuple[Any, ...], answers: list[tuple[str, Callable[[Any], Any]]]
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
        for response_name, answer in answers:
            value = answer(item)
            if value is IRREGULAR:
                return None
            result[response_name] = value
        completed.append(result)
    return completed


def _constant(value: str) -> Callable[[Any], str]:
    def answer(_source: Any) -> str:
        return value

    return answer
