"""One mapping from resolver results to the GraphQL types that answer them.

A GraphQL result type says which resolver result classes it answers (``@answers``);
every mutation then returns ``answer(result)``. A type with a ``from_result``
classmethod converts with it; any other is built from the result's fields of the
same names, each passed through the converter named for it (``Account.from_model``,
say) or taken as it is.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, TypeVar

import strawberry

T = TypeVar("T", bound=type)

_ANSWERS: dict[type, Callable[[Any], Any]] = {}
_TYPES: dict[type, type] = {}


def answers(*result_classes: type, **converters: Callable[[Any], Any]) -> Callable[[T], T]:
    """Class decorator: this GraphQL type answers these resolver result classes."""

    def register(graphql_type: T) -> T:
        stored = {field.name for field in dataclasses.fields(graphql_type) if field.init}
        if unknown := set(converters) - stored:
            raise TypeError(f"{graphql_type.__name__} has no fields {sorted(unknown)}")
        convert = getattr(graphql_type, "from_result", None) or partial(
            _by_name, graphql_type, converters
        )
        for result_class in result_classes:
            known = _TYPES.get(result_class)
            if known is not None and known is not graphql_type:
                raise TypeError(f"{result_class.__name__} is answered by {known.__name__} already")
            _ANSWERS[result_class] = convert
            _TYPES[result_class] = graphql_type
        return graphql_type

    return register


def answer(result: object) -> Any:
    """The GraphQL object for a resolver's result (a TypeError for an unmapped class: a bug)."""
    convert = _ANSWERS.get(type(result))
    if convert is None:
        raise TypeError(f"no GraphQL type answers {type(result).__name__}")
    return convert(result)


def union_of(name: str, results: Any, *, description: str | None = None) -> Any:
    """The GraphQL union answering a resolver's union of result classes, member for member.

    The resolver's union is the one declaration; the GraphQL union follows it, so a
    new answer cannot be returned without a type, nor listed without a result.
    """
    members = typing.get_args(results) if isinstance(results, types.UnionType) else (results,)
    graphql_types = tuple(_type_of(member) for member in members)
    # Union[...] over a runtime tuple: the documented way to build a union from parts.
    return Annotated[
        typing.Union[graphql_types],  # noqa: UP007 - built from a tuple at run time
        strawberry.union(name, description=description),
    ]


def _type_of(result_class: type) -> type:
    graphql_type = _TYPES.get(result_class)
    if graphql_type is None:
        raise TypeError(f"no GraphQL type answers {result_class.__name__}")
    return graphql_type


def _by_name(
    graphql_type: type, converters: dict[str, Callable[[Any], Any]], result: object
) -> Any:
    # init=False fields are resolved, not stored (UserError.code, say).
    names = [field.name for field in dataclasses.fields(graphql_type) if field.init]
    values = {name: getattr(result, name) for name in names}
    for name, convert in converters.items():
        values[name] = convert(values[name])
    return graphql_type(**values)


def each(convert: Callable[[Any], Any]) -> Callable[[Any], list[Any]]:
    """A converter for a list field: ``convert`` applied to every item."""
    return lambda values: [convert(value) for value in values]


def optional(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A converter for a nullable field: ``convert`` applied unless the value is None."""
    return lambda value: None if value is None else convert(value)


def answered_types() -> frozenset[type]:
    """Every GraphQL type some resolver result is answered by (for checks of the mapping)."""
    return frozenset(_TYPES.values())
