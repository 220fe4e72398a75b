"""How the executor answers each schema field: plain values, direct objects, or the full path.

Decided once per schema field for the process (see schema/execution.py for why):

- a *plain* field is a Strawberry attribute (no resolver function, no permission
  classes, no field extensions, no arguments) whose type is a scalar, an enum, or a
  list of them: read off the object and coerced with the type's own output coercion;
- an *object* field returns an object type (or a list of them) and is resolved by
  an attribute read or by a simple sync resolver (``lean_resolvers``): resolved
  directly and completed without graphql-core's dispatch through its wrapping types;
- everything else takes graphql-core's full path.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from operator import attrgetter
from typing import Any, NamedTuple, TypeVar

from graphql import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLString,
    is_leaf_type,
)
from graphql.pyutils import Undefined
from graphql.type.scalars import serialize_int
from strawberry.schema import Schema
from strawberry.schema.schema_converter import CustomGraphQLEnumType, GraphQLCoreConverter
from strawberry.types import Info
from strawberry.types.field import StrawberryField

IRREGULAR = object()
T = TypeVar("T")


class PlainField(NamedTuple):
    """How to answer one plain field without graphql-core's per-field machinery.

    ``answer(source)`` is the field's output value, or IRREGULAR when the full path
    must answer it: null where null is not allowed, or a value that fails coercion;
    the full path then reports the error exactly as it always has. It is a closure
    made for the field (its steps decided once, read from cells on each call): a
    page of 50 doctors answers a thousand plain fields.
    """

    answer: Callable[[Any], Any]


# The built-in scalars whose output coercion returns a value of this exact type
# unchanged (graphql-core's serialize_string, serialize_id, serialize_boolean).
_UNCHANGED: dict[Any, type] = {GraphQLString: str, GraphQLID: str, GraphQLBoolean: bool}


def _scalar_answer(
    read: Callable[[Any], Any], coerce: Callable[[Any], Any], non_null: bool, unchanged: type
) -> Callable[[Any], Any]:
    def answer(source: Any) -> Any:
        try:
            value = read(source)
            if value is None:
                return IRREGULAR if non_null else None
            if type(value) is unchanged:
                return value
            coerced = coerce(value)
        except Exception:  # noqa: BLE001 - the full path reports it
            return IRREGULAR
        return IRREGULAR if coerced is None or coerced is Undefined else coerced

    return answer


def _list_answer(
    read: Callable[[Any], Any], coerce: Callable[[Any], Any], non_null: bool, items_non_null: bool
) -> Callable[[Any], Any]:
    def answer(source: Any) -> Any:
        try:
            values = read(source)
            if values is None:
                return IRREGULAR if non_null else None
            if not isinstance(values, list | tuple):
                return IRREGULAR  # any other iterable: the full path's rules
            answered: list[Any] = []
            for value in values:
                if value is None:
                    if items_non_null:
                        return IRREGULAR
                    answered.append(None)
                    continue
                coerced = coerce(value)
                if coerced is None or coerced is Undefined:
                    return IRREGULAR
                answered.append(coerced)
        except Exception:  # noqa: BLE001 - the full path reports it
            return IRREGULAR
        return answered

    return answer


def _coerce_int(value: Any) -> Any:
    # graphql-core's serialize_int returns an int in range unchanged; anything else
    # (bool, float, str, out of range) takes its own rules.
    if type(value) is int and GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT:
        return value
    return serialize_int(value)


class ObjectField(NamedTuple):
    """An object-valued field resolved without Strawberry's or graphql-core's wrappers.

    ``read(source)`` when the field needs no resolve info, else ``resolve(source, info)``.
    ``object_type`` is set when the field returns one object (not a list) whose
    completion may skip graphql-core's dispatch.
    """

    definition: GraphQLField
    return_type: GraphQLOutputType
    read: Callable[[Any], Any] | None
    resolve: Callable[[Any, GraphQLResolveInfo[Any]], Any] | None
    object_type: GraphQLObjectType | None
    non_null: bool


# Per schema field, decided once for the process: keyed by identity (the field is
# kept in the value, so its id cannot be reused).
_PLAIN: dict[int, tuple[GraphQLField, PlainField | None]] = {}
_OBJECT: dict[int, tuple[GraphQLField, ObjectField | None]] = {}
# The resolvers lean_resolvers installed: what each calls, and whether it needs info.
_LEAN: dict[Callable[..., Any], tuple[Callable[[Any], Any] | None, bool]] = {}


def plain_field(field_def: GraphQLField) -> PlainField | None:
    """The shortcut for this schema field, or None when it is not plain."""
    return _decided(_PLAIN, field_def, _plain_field)


def object_field(field_def: GraphQLField) -> ObjectField | None:
    """The direct resolution of this object-valued field, or None for the full path."""
    return _decided(_OBJECT, field_def, _object_field)


def _decided(
    cache: dict[int, tuple[GraphQLField, T | None]],
    field_def: GraphQLField,
    decide: Callable[[GraphQLField], T | None],
) -> T | None:
    known = cache.get(id(field_def))
    if known is not None and known[0] is field_def:
        return known[1]
    found = decide(field_def)
    cache[id(field_def)] = (field_def, found)
    return found


def _attribute(field_def: GraphQLField) -> str | None:
    """The attribute a Strawberry "basic field" reads, or None when it is anything else."""
    resolve = field_def.resolve
    if field_def.args or resolve is None or not getattr(resolve, "_is_default", False):
        return None
    definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or definition.default_resolver is not getattr:
        return None
    return definition.python_name


def _plain_field(field_def: GraphQLField) -> PlainField | None:
    attribute = _attribute(field_def)
    if attribute is None:
        return None
    field_type = field_def.type
    non_null = isinstance(field_type, GraphQLNonNull)
    named = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
    read = attrgetter(attribute)
    if isinstance(named, GraphQLList):
        item = named.of_type
        items_non_null = isinstance(item, GraphQLNonNull)
        named = item.of_type if isinstance(item, GraphQLNonNull) else item
        if not is_leaf_type(named):
            return None
        return PlainField(_list_answer(read, _coercion(named), non_null, items_non_null))
    if not is_leaf_type(named):
        return None
    # NoneType never matches a value here (None was answered first): no shortcut.
    unchanged = _UNCHANGED.get(named, type(None))
    return PlainField(_scalar_answer(read, _coercion(named), non_null, unchanged))


def _coercion(named: Any) -> Callable[[Any], Any]:
    coerce: Callable[[Any], Any] = named.coerce_output_value
    if named is GraphQLInt:
        coerce = _coerce_int
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
    return coerce


def _object_field(field_def: GraphQLField) -> ObjectField | None:
    if field_def.args:
        return None
    field_type = field_def.type
    non_null = isinstance(field_type, GraphQLNonNull)
    named = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
    object_type: GraphQLObjectType | None = None
    if isinstance(named, GraphQLObjectType):
        if named.is_type_of is not None:
            return None
        object_type = named
    elif not isinstance(named, GraphQLList):
        return None  # leaves are plain fields or resolvers; abstract types need resolving
    attribute = _attribute(field_def)
    if attribute is not None:
        return ObjectField(
            field_def, field_type, attrgetter(attribute), None, object_type, non_null
        )
    lean = _LEAN.get(field_def.resolve) if field_def.resolve is not None else None
    if lean is None:
        return None
    read, needs_info = lean
    resolve = field_def.resolve if needs_info else None
    return ObjectField(field_def, field_type, read, resolve, object_type, non_null)


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

        _LEAN[plain] = (function, False)
        return plain
    info_name = info_parameter.name

    def with_info(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
        return function(source, **{info_name: info_class(_raw_info=info, _field=definition)})

    _LEAN[with_info] = (None, True)
    return with_info
