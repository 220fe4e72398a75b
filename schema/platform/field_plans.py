"""How the executor answers each schema field: plain values, direct objects, or the full path.

Decided once per schema field for the process (see schema/platform/execution.py for why):

- a *plain* field is a Strawberry attribute (no resolver function, no permission
  classes, no field extensions, no arguments) whose type is a scalar, an enum, or a
  list of them: read off the object and coerced with the type's own output coercion;
- an *object* field returns an object type (or a list of them) and is resolved by
  an attribute read or by a simple sync resolver (``lean_resolvers``): resolved
  directly and completed without graphql-core's dispatch through its wrapping types;
- everything else takes graphql-core's full path.

A field with permission classes or field extensions never takes any of these: its
resolver is Strawberry's chain, which runs them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from enum import Enum
from operator import attrgetter
from typing import Any, NamedTuple, TypeVar, cast

from graphql import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLString,
    is_leaf_type,
)
from graphql.pyutils import Undefined
from graphql.pyutils import inspect as inspect_value
from strawberry.execution import optimized_is_awaitable
from strawberry.schema import Schema

# Private to Strawberry (no public export): CustomGraphQLEnumType is the class of its
# enums, the only way to reach the Python enum behind one (``wrapped_cls``) for the
# member -> name lookup below; DEFINITION_BACKREF is the key under which Strawberry
# files each GraphQLField's StrawberryField in the field's (public) ``extensions``.
# The public alternative, ``Schema.get_field_for_type(field, type)``, needs the
# Strawberry schema at hand, which the executor's per-field decisions do not have.
from strawberry.schema.schema_converter import CustomGraphQLEnumType, GraphQLCoreConverter
from strawberry.types import Info
from strawberry.types.field import StrawberryField

T = TypeVar("T")

# How graphql-core goes on with a plain field the shortcut could not answer (Irregular.kind).
FAILED = 0  # value: the exception graphql-core holds at this point (raised or returned)
COMPLETE = 1  # value: as read, for graphql-core's complete_value (a null, a non-list iterable)
AWAIT = 2  # value: as read, awaitable: graphql-core's complete_awaitable_value
LATER = 3  # value: the coerced output, awaitable: awaited as graphql-core awaits a completion
ITEMS = 4  # value: the list read; items before ``position`` done; ``item``: how that one goes


class Irregular(NamedTuple):
    """A plain field the shortcut could not answer, with everything it already read.

    The executor continues graphql-core's own completion from exactly this point, so
    no attribute (a property getter, say) is read twice and no value is coerced twice:

    - FAILED: reading raised ``value``, or the value read is an exception, or the output
      coercion raised ``value`` or refused the value (``value`` is then graphql-core's
      own TypeError for a coercion that returns null);
    - COMPLETE: ``value`` is null where null is not allowed, or an iterable other than
      a list or tuple: graphql-core's complete_value takes it as it is;
    - AWAIT: ``value`` is awaitable: graphql-core's complete_awaitable_value;
    - LATER: the coercion returned an awaitable ``value``, which graphql-core awaits;
    - ITEMS: ``value`` is the list read, ``done`` holds its first ``position`` items
      coerced, ``item`` is the Irregular of the item at ``position`` (FAILED, COMPLETE,
      AWAIT or LATER); graphql-core's per-item completion takes the rest.
    """

    kind: int
    value: Any
    position: int = 0
    done: list[Any] | None = None
    item: Irregular | None = None


class PlainField(NamedTuple):
    """How to answer one plain field without graphql-core's per-field machinery.

    ``answer(source)`` is the field's output value, or an Irregular when graphql-core's
    completion must go on from there: the full path then reports the error, or
    completes the value, exactly as it always has, from what was read. It is a closure
    made for the field (its steps decided once, read from cells on each call): a page
    of 50 doctors answers a thousand plain fields.
    """

    definition: GraphQLField
    answer: Callable[[Any], Any]


# The built-in scalars whose output coercion returns a value of this exact type
# unchanged (graphql-core's serialize_string, serialize_id, serialize_boolean).
_UNCHANGED: dict[Any, type] = {GraphQLString: str, GraphQLID: str, GraphQLBoolean: bool}


def _refused(named: GraphQLLeafType, value: Any, coerced: Any) -> TypeError:
    """graphql-core's complete_leaf_value error for a coercion that returns null, verbatim."""
    return TypeError(
        f"Expected `{inspect_value(named)}.coerce_output_value("
        f"{inspect_value(value)})` to return non-nullable value, returned:"
        f" {inspect_value(coerced)}"
    )


def _scalar_answer(
    read: Callable[[Any], Any],
    coerce: Callable[[Any], Any],
    named: GraphQLLeafType,
    non_null: bool,
    unchanged: type,
) -> Callable[[Any], Any]:
    # The checks graphql-core's execute_field and complete_value make, in their order
    # (is_awaitable, then the exception check, then the coercion): a check on an odd
    # value can run a descriptor, so each runs once, as on the full path.
    is_awaitable = optimized_is_awaitable

    def answer(source: Any) -> Any:
        try:
            value = read(source)
        except Exception as error:  # noqa: BLE001 - graphql-core reports it
            return Irregular(FAILED, error)
        if value is None or value is Undefined:
            return Irregular(COMPLETE, value) if non_null else None
        if type(value) is unchanged:
            return value
        if is_awaitable(value):
            return Irregular(AWAIT, value)
        if isinstance(value, Exception):
            return Irregular(FAILED, value)
        try:
            coerced = coerce(value)
        except Exception as error:  # noqa: BLE001 - graphql-core reports it
            return Irregular(FAILED, error)
        if coerced is None or coerced is Undefined:
            return Irregular(FAILED, _refused(named, value, coerced))
        if is_awaitable(coerced):
            return Irregular(LATER, coerced)
        return coerced

    return answer


def _list_answer(
    read: Callable[[Any], Any],
    coerce: Callable[[Any], Any],
    named: GraphQLLeafType,
    non_null: bool,
    items_non_null: bool,
    unchanged: type,
) -> Callable[[Any], Any]:
    is_awaitable = optimized_is_awaitable

    def answer(source: Any) -> Any:
        try:
            values = read(source)
        except Exception as error:  # noqa: BLE001 - graphql-core reports it
            return Irregular(FAILED, error)
        if values is None or values is Undefined:
            return Irregular(COMPLETE, values) if non_null else None
        kind = type(values)
        if kind is not list and kind is not tuple:
            # Anything else (an exception, an awaitable, another iterable): graphql-core's rules.
            return Irregular(AWAIT if is_awaitable(values) else COMPLETE, values)
        done: list[Any] = []
        for index, value in enumerate(values):
            if value is None or value is Undefined:
                if items_non_null:
                    return Irregular(ITEMS, values, index, done, Irregular(COMPLETE, value))
                done.append(None)
                continue
            if type(value) is unchanged:
                done.append(value)
                continue
            if is_awaitable(value):
                return Irregular(ITEMS, values, index, done, Irregular(AWAIT, value))
            if isinstance(value, Exception):
                return Irregular(ITEMS, values, index, done, Irregular(FAILED, value))
            try:
                coerced = coerce(value)
            except Exception as error:  # noqa: BLE001 - graphql-core reports it
                return Irregular(ITEMS, values, index, done, Irregular(FAILED, error))
            if coerced is None or coerced is Undefined:
                refused = Irregular(FAILED, _refused(named, value, coerced))
                return Irregular(ITEMS, values, index, done, refused)
            if is_awaitable(coerced):
                return Irregular(ITEMS, values, index, done, Irregular(LATER, coerced))
            done.append(coerced)
        return done

    return answer


_SERIALIZE_INT: Callable[[Any], Any] = GraphQLInt.coerce_output_value


def _coerce_int(value: Any) -> Any:
    # graphql-core's serialize_int returns an int in range unchanged; anything else
    # (bool, float, str, out of range) takes its own rules.
    if type(value) is int and GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT:
        return value
    return _SERIALIZE_INT(value)


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


def _strawberry_field(field_def: GraphQLField) -> StrawberryField | None:
    definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return definition if isinstance(definition, StrawberryField) else None


def _guarded(definition: StrawberryField) -> bool:
    """Whether Strawberry's resolver chain runs something of its own around the value.

    Permission classes become a field extension; both are public attributes of the
    field, and either one keeps the field on Strawberry's resolver, always.
    """
    return bool(definition.permission_classes or definition.extensions)


def _attribute(field_def: GraphQLField) -> str | None:
    """The attribute a Strawberry "basic field" reads, or None when it is anything else.

    Decided from the field's public attributes alone: no resolver function, no
    permission classes or field extensions, no arguments, the default getattr
    resolver. Strawberry's resolver for such a field is ``getattr(source, name)``
    (unless the schema has exception handlers: the executor then takes no fast path).
    """
    definition = _strawberry_field(field_def)
    if (
        definition is None
        or field_def.args
        or definition.base_resolver is not None
        or _guarded(definition)
        or definition.default_resolver is not getattr
    ):
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
        leaf = item.of_type if isinstance(item, GraphQLNonNull) else item
        if not is_leaf_type(leaf):
            return None
        unchanged = _UNCHANGED.get(leaf, type(None))
        answer = _list_answer(read, _coercion(leaf), leaf, non_null, items_non_null, unchanged)
        return PlainField(field_def, answer)
    if not is_leaf_type(named):
        return None
    # NoneType never matches a value here (None was answered first): no shortcut.
    unchanged = _UNCHANGED.get(named, type(None))
    return PlainField(field_def, _scalar_answer(read, _coercion(named), named, non_null, unchanged))


def _coercion(named: Any) -> Callable[[Any], Any]:
    coerce: Callable[[Any], Any] = named.coerce_output_value
    if named is GraphQLInt:
        return _coerce_int
    if isinstance(named, CustomGraphQLEnumType):
        return _enum_coercion(named, coerce)
    return coerce


def _enum_coercion(
    named: CustomGraphQLEnumType, coerce: Callable[[Any], Any]
) -> Callable[[Any], Any]:
    # Strawberry's enum coercion scans every value for each member; a lookup from
    # member to name (the first name whose value matches, as the scan finds it)
    # answers the same. Anything else, or a member without a name, takes the scan.
    enum_class = cast("type[Enum]", named.wrapped_cls)
    names: dict[Any, str] = {}
    for member in enum_class:
        for name, value in named.values.items():
            if member.value == value.value:
                names.setdefault(member, name)
                break

    def by_member(value: Any) -> Any:
        if type(value) is enum_class:
            name = names.get(value)
            if name is not None:
                return name
        return coerce(value)

    return by_member


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
    doctors. For a sync resolver that takes only ``self`` and ``info``, has no
    permission classes, no field extensions and no GraphQL arguments, in a schema
    without exception handlers, that chain reduces to ``resolver(source,
    info=Info(...))``: this installs exactly that call. Returns how many fields it
    changed.
    """
    if schema.exception_handlers:
        return 0
    info_class = schema.config.info_class
    changed = 0
    # Strawberry keeps the graphql-core schema it built only as ``_schema``: there is
    # no public accessor, and the resolvers to replace live on its GraphQLField objects
    # (the public ``get_type_by_name`` answers Strawberry's definitions, not those).
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
    definition = _strawberry_field(field_def)
    if definition is None or field_def.args or _guarded(definition):
        return None
    resolver = definition.base_resolver
    if resolver is None or definition.is_async or resolver.arguments:
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
        # Info has no public constructor: these are its dataclass fields, and this is
        # the call Strawberry's own resolver makes (schema_converter.from_resolver).
        return function(source, **{info_name: info_class(_raw_info=info, _field=definition)})

    _LEAN[with_info] = (None, True)
    return with_info
