"""The executor: graphql-core's, with fast paths for plain fields and directly resolved objects.

A page of 50 doctors with their schedules resolves about 1,200 fields and 300
objects. graphql-core spends its full per-field machinery on each field (a resolve
info, the resolver wrapper, awaitable checks, value completion dispatched through
the wrapping types) and five calls of dispatch per object: most of a request's
CPU. This executor

- reads a plain field (schema/platform/field_plans.py) straight off the object and
  coerces it with the field type's own output coercion, the two steps the full
  path takes;
- resolves an object field by its attribute or simple sync resolver and, when the
  value is an object already at hand, executes its selection directly (the call
  graphql-core's dispatch ends in); lists of objects likewise, item by item, with
  graphql-core's own error handling per item;

and hands everything else to graphql-core: a value that is null where null is not
allowed, that fails coercion, is an exception or is awaitable, goes on through
graphql-core's own completion *from the value already read* (nothing is read or
coerced twice); so do abstract types, fields with arguments, permission classes or
field extensions, and whole requests with middleware (a schema extension's
``resolve`` hook), exception handlers or incremental delivery.

The Executor overrides methods of graphql-core's Executor that graphql-core marks
``:meta private:`` (execute_fields, complete_iterable_value) and calls others
(execute_field, complete_value, complete_list_item_value, handle_field_error,
collect_subfields, settle_in_background, ...). The execution context class is
graphql-core's public extension point, but the methods behind it have no public
contract: the fast path copies their behaviour, so it is only as right as the
version it was checked against.

It is verified against exact versions of graphql-core and Strawberry
(VERIFIED_VERSIONS): tests/platform/test_differential.py runs documents through
this path and through Strawberry's stock path and requires byte-identical
responses. On any other installed version FastPathSchema builds the stock path and
logs a warning: the fast path copies graphql-core's behaviour, so a new graphql-core
must be verified before it is trusted.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from importlib import metadata
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import strawberry
from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
)
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.execution import optimized_is_awaitable

# Strawberry's own execution context, the one its schemas run: not exported from
# strawberry.schema. Subclassing graphql-core's public Executor instead would lose
# Strawberry's resolve info (build_resolve_info) and operation extensions.
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

# Private to Strawberry: see schema/platform/field_plans.py for why its backref key is read.
from strawberry.schema.schema_converter import GraphQLCoreConverter

from schema.platform.field_plans import (
    AWAIT,
    COMPLETE,
    FAILED,
    LATER,
    Irregular,
    ObjectField,
    PlainField,
    lean_resolvers,
    object_field,
    plain_field,
)
from settings import FAST_PATH_PIECES

if TYPE_CHECKING:
    # The types of the arguments graphql-core's Executor methods take; graphql-core
    # does not export them from graphql.execution (the module is internal to it).
    from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet

__all__ = ["VERIFIED_VERSIONS", "Executor", "FastPathSchema", "lean_resolvers"]

K = TypeVar("K")
V = TypeVar("V")
logger = logging.getLogger(__name__)

# The versions the fast path (Executor, lean_resolvers) was
# verified on with tests/platform/test_differential.py. On any other installed version
# the schema is built on Strawberry's stock path. Change these only after that test
# passes on the new versions (and pin them in requirements.txt).
VERIFIED_VERSIONS: dict[str, str] = {"graphql-core": "3.3.2", "strawberry-graphql": "0.341.2"}
_WARNED: set[tuple[tuple[str, str], ...]] = set()


def unverified_versions() -> dict[str, str]:
    """The installed version of each package that differs from the verified one."""
    found: dict[str, str] = {}
    for name, verified in VERIFIED_VERSIONS.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "not installed"
        if installed != verified:
            found[name] = installed
    return found


def fast_path_verified() -> bool:
    """True on the verified versions; else False, with one warning per process."""
    unverified = unverified_versions()
    if not unverified:
        return True
    key = tuple(sorted(unverified.items()))
    if key not in _WARNED:
        _WARNED.add(key)
        found = ", ".join(f"{name} {version}" for name, version in key)
        verified = ", ".join(f"{name} {version}" for name, version in VERIFIED_VERSIONS.items())
        logger.warning(
            "GraphQL fast path off: installed %s; it was verified on %s. "
            "Serving with Strawberry's stock execution.",
            found,
            verified,
        )
    return False


class FastPathSchema(strawberry.Schema):
    """strawberry.Schema with the fast path (Executor, lean resolvers).

    ``fast_path=False``, or installed versions other than VERIFIED_VERSIONS, build
    exactly Strawberry's stock schema: graphql-core's execution context as Strawberry
    configures it, Strawberry's own extensions runner, Strawberry's resolvers.
    """

    def __init__(
        self,
        *args: Any,
        fast_path: bool = True,
        without: frozenset[str] = frozenset(),
        **kwargs: Any,
    ) -> None:
        if "execution_context_class" in kwargs:
            raise TypeError("FastPathSchema chooses the execution context: pass fast_path")
        self.fast_path = fast_path and fast_path_verified()
        # Each piece on its own is held to the same answers (tests/platform/test_differential.py).
        self.pieces = frozenset(FAST_PATH_PIECES) - without if self.fast_path else frozenset()
        if "executor" in self.pieces:
            kwargs["execution_context_class"] = Executor
        super().__init__(*args, **kwargs)
        if "lean-resolvers" in self.pieces:
            lean_resolvers(self)


class Step(NamedTuple):
    """One entry of a selection's plan; all of plain/obj/typename None means the full path."""

    response_name: str
    field_details_list: FieldDetailsList
    plain: PlainField | None
    obj: ObjectField | None
    typename: str | None


def _direct_schema(schema: GraphQLSchema) -> bool:
    """Whether the schema allows the fast path at all: no exception handlers, no @defer/@stream.

    Exception handlers wrap even a basic field's resolver; incremental delivery changes
    what completion does with a position. The Strawberry schema is found under
    Strawberry's DEFINITION_BACKREF key in the graphql-core schema's public extensions.
    """
    if schema.get_directive("defer") is not None or schema.get_directive("stream") is not None:
        return False
    strawberry_schema = (schema.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return isinstance(strawberry_schema, strawberry.Schema) and not (
        strawberry_schema.exception_handlers
    )


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
        # implements a per-field `resolve` hook. The plain answers check awaitables with
        # Strawberry's own is_awaitable, the one it hands graphql-core.
        manager = self.middleware_manager
        self._direct = (
            (manager is None or not manager.middlewares)
            and self.is_awaitable is optimized_is_awaitable
            and _direct_schema(self.schema)
        )

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
        return _remember(self._plans, fields, steps if usable else None)

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
        return self._execute_steps(parent_type, source_value, path, plan, position_context, {}, [])

    def _execute_steps(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        steps: list[Step],
        position_context: Any,
        results: dict[str, Any],
        pending: list[str],
    ) -> Any:
        """graphql-core's execute_fields over these steps, into results (awaitables in pending)."""
        is_awaitable = self.is_awaitable
        try:
            for response_name, details, plain, obj, typename in steps:
                if typename is not None:
                    results[response_name] = typename
                    continue
                if plain is not None:
                    answer = plain.answer(source_value)
                    if type(answer) is not Irregular:
                        results[response_name] = answer
                        continue
                    field_path = Path(path, response_name, parent_type.name)
                    result = self._complete_irregular(
                        plain.definition, parent_type, details, field_path, answer, position_context
                    )
                else:
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

    def _complete_irregular(
        self,
        field_def: GraphQLField,
        parent_type: GraphQLObjectType,
        details: FieldDetailsList,
        path: Path,
        irregular: Irregular,
        position_context: Any,
    ) -> Any:
        """graphql-core's execute_field after the resolver, for the value the plain answer read."""
        return_type = field_def.type
        kind = irregular.kind
        if kind == FAILED:
            self.handle_field_error(irregular.value, return_type, details, path)
            return None
        info = self.build_resolve_info(field_def, _nodes(details), parent_type, path)
        try:
            if kind == AWAIT:
                return self.complete_awaitable_value(
                    return_type, details, info, path, irregular.value, position_context
                )
            if kind == LATER:
                return self._completed_later(irregular.value, return_type, details, path)
            if kind == COMPLETE:
                completed = self.complete_value(
                    return_type, details, info, path, irregular.value, position_context
                )
            else:
                completed = self._complete_items(return_type, details, info, path, irregular)
        except Exception as raw_error:  # noqa: BLE001 - as graphql-core: any error is a field error
            self.handle_field_error(raw_error, return_type, details, path)
            return None
        return self._settled(completed, return_type, details, path)

    def _settled(
        self, completed: Any, return_type: GraphQLOutputType, details: FieldDetailsList, path: Path
    ) -> Any:
        """A completed value, or an awaitable that settles it with graphql-core's error handling."""
        if self.is_awaitable(completed):
            return self._completed_later(completed, return_type, details, path)
        return completed

    def _complete_items(
        self,
        return_type: GraphQLOutputType,
        details: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        irregular: Irregular,
    ) -> Any:
        """graphql-core's complete_iterable_value for a list of leaves, from the item the
        plain answer stopped at: the items before it are done, it and the rest go on
        through graphql-core's per-item completion."""
        list_type = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
        assert isinstance(list_type, GraphQLList)
        item_type: GraphQLOutputType = list_type.of_type
        values: list[Any] | tuple[Any, ...] = irregular.value
        completed: list[Any] = list(irregular.done or ())
        awaited: list[int] = []
        is_awaitable = self.is_awaitable
        position = irregular.position
        item = irregular.item
        assert item is not None
        try:
            item_path = path.add_key(position, None)
            if item.kind == FAILED:
                self.handle_field_error(item.value, item_type, details, item_path)
                completed.append(None)
            elif item.kind == AWAIT:
                completed.append(
                    self.complete_awaitable_list_item_value(
                        item.value, item_type, details, info, item_path, None
                    )
                )
                awaited.append(position)
            elif item.kind == LATER:
                completed.append(self._completed_later(item.value, item_type, details, item_path))
                awaited.append(position)
            elif self.complete_list_item_value(
                item.value, completed, item_type, details, info, item_path, None
            ):
                awaited.append(position)
            for position in range(position + 1, len(values)):  # noqa: B020 - the position on errors
                value = values[position]
                item_path = path.add_key(position, None)
                if is_awaitable(value):
                    completed.append(
                        self.complete_awaitable_list_item_value(
                            value, item_type, details, info, item_path, None
                        )
                    )
                    awaited.append(position)
                elif self.complete_list_item_value(
                    value, completed, item_type, details, info, item_path, None
                ):
                    awaited.append(position)
        except Exception:
            self._settle(completed, awaited, values[position + 1 :])
            raise
        return _await_into(completed, awaited) if awaited else completed

    def _settle(self, completed: list[Any], awaited: list[int], rest: Any) -> None:
        """As graphql-core after an error in a list: settle its pending items in the background."""
        awaitables = [completed[index] for index in awaited]
        awaitables.extend(value for value in rest if self.is_awaitable(value))
        if awaitables:
            self.settle_in_background(awaitables)

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

        The same steps, checks and error handling; what it skips is the field lookup,
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
            if self.is_awaitable(result):
                info = info or self._info(field, details, parent_type, path)
                return self.complete_awaitable_value(
                    return_type, details, info, path, result, position_context
                )
            object_type = field.object_type
            if object_type is not None and position_context is None and result is not None:
                if isinstance(result, Exception):
                    raise result  # complete_value's first step
                fields, _defer_usages, _ = self.collect_subfields(object_type, details)
                completed = self.execute_fields(object_type, result, path, fields, None)
            else:
                info = info or self._info(field, details, parent_type, path)
                completed = self.complete_value(
                    return_type, details, info, path, result, position_context
                )
        except Exception as raw_error:  # noqa: BLE001 - as graphql-core: any error is a field error
            self.handle_field_error(raw_error, return_type, details, path)
            return None
        return self._settled(completed, return_type, details, path)

    def _info(
        self,
        field: ObjectField,
        details: FieldDetailsList,
        parent_type: GraphQLObjectType,
        path: Path,
    ) -> GraphQLResolveInfo[Any]:
        return self.build_resolve_info(field.definition, _nodes(details), parent_type, path)

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
            self._direct
            and isinstance(object_type, GraphQLObjectType)
            and object_type.is_type_of is None
            and position_context is None
            and isinstance(items, list | tuple)
            and items
        ):
            fields, _defer_usages, _ = self.collect_subfields(object_type, field_details_list)
            plan = self._plan(object_type, fields)
            if plan is not None:
                return self._complete_objects(
                    object_type, item_type, field_details_list, info, path, items, plan
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
        return _remember(self._answers, plan, found if len(found) == len(plan) else None)

    def _complete_objects(
        self,
        object_type: GraphQLObjectType,
        item_type: GraphQLOutputType,
        details: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        items: list[Any] | tuple[Any, ...],
        plan: list[Step],
    ) -> Any:
        """graphql-core's complete_iterable_value for a list of objects, item by item.

        An object at hand executes its plan directly (objects of plain fields only, a
        doctor's schedules say, in one tight loop); a null, an exception or an
        awaitable item goes through graphql-core's own per-item completion.
        """
        answers = self._plain_answers(plan)
        completed: list[Any] = []
        awaited: list[int] = []
        is_awaitable = self.is_awaitable
        index = -1
        try:
            for index, item in enumerate(items):
                if item is None or item is Undefined:
                    item_path = path.add_key(index, None)
                    self.complete_list_item_value(
                        item, completed, item_type, details, info, item_path, None
                    )
                    continue
                if is_awaitable(item):
                    item_path = path.add_key(index, None)
                    completed.append(
                        self.complete_awaitable_list_item_value(
                            item, item_type, details, info, item_path, None
                        )
                    )
                    awaited.append(index)
                    continue
                if isinstance(item, Exception):  # complete_value raises it
                    self.handle_field_error(item, item_type, details, path.add_key(index, None))
                    completed.append(None)
                    continue
                if answers is not None:
                    result: dict[str, Any] = {}
                    for response_name, answer in answers:
                        value = answer(item)
                        if type(value) is Irregular:
                            break
                        result[response_name] = value
                    else:
                        completed.append(result)
                        continue
                item_path = path.add_key(index, None)
                try:
                    if answers is not None:
                        value = self._resume(object_type, item, item_path, plan, result, value)
                    else:
                        value = self._execute_steps(
                            object_type, item, item_path, plan, None, {}, []
                        )
                except Exception as raw_error:  # noqa: BLE001 - as graphql-core
                    self.handle_field_error(raw_error, item_type, details, item_path)
                    value = None
                else:
                    if is_awaitable(value):
                        value = self._completed_later(value, item_type, details, item_path)
                        awaited.append(index)
                completed.append(value)
        except Exception:
            self._settle(completed, awaited, items[index + 1 :])
            raise
        return _await_into(completed, awaited) if awaited else completed

    def _resume(
        self,
        object_type: GraphQLObjectType,
        item: Any,
        item_path: Path,
        plan: list[Step],
        results: dict[str, Any],
        irregular: Irregular,
    ) -> Any:
        """An object of plain fields whose tight loop stopped: on from that field, as before."""
        position = len(results)
        step = plan[position]
        assert step.plain is not None
        field_path = Path(item_path, step.response_name, object_type.name)
        result = self._complete_irregular(
            step.plain.definition, object_type, step.field_details_list, field_path, irregular, None
        )
        results[step.response_name] = result
        pending = [step.response_name] if self.is_awaitable(result) else []
        return self._execute_steps(
            object_type, item, item_path, plan[position + 1 :], None, results, pending
        )


def _remember(memo: dict[int, tuple[K, V]], key: K, value: V) -> V:
    """Memoize by the key's identity; the key is kept with the value so its id is not reused."""
    memo[id(key)] = (key, value)
    return value


def _nodes(details: FieldDetailsList) -> list[FieldNode]:
    # graphql-core's to_nodes (graphql.execution.executor, not exported), written out.
    return [field_details.node for field_details in details]


async def _await_into(container: Any, keys: list[Any]) -> Any:
    """Replace the awaitables at these keys (names of a dict, indexes of a list) by their values."""
    if len(keys) == 1:
        container[keys[0]] = await container[keys[0]]
        return container
    values = await gather_with_cancel(*(container[key] for key in keys))
    for key, value in zip(keys, values, strict=True):
        container[key] = value
    return container


def _constant(value: str) -> Callable[[Any], str]:
    def answer(_source: Any) -> str:
        return value

    return answer
