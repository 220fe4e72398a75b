"""The executor's fast paths answer exactly what graphql-core's full path answers.

Each piece on its own (the executor, then with lean resolvers) against Strawberry's
stock schema, compared as bytes; tests/platform/test_differential.py compares the
whole fast path over many more inputs.
"""

from __future__ import annotations

import enum
from typing import Any, cast

import pytest
import strawberry
from graphql import GraphQLObjectType

from schema.platform.execution import Executor, lean_resolvers
from tests.platform.differential import assert_same_bytes, response_json

# A small schema with every case the fast paths decide on: plain scalars and enums,
# nullable and not, lists of them, a resolver field, a field with arguments, lists of
# plain objects, and nested objects (attributes, sync resolvers with and without info,
# failing ones, async ones) in a connection-like shape.


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Item:
    id: strawberry.ID
    name: str
    note: str | None
    colour: Colour
    count: int

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field
    def times(self, n: int) -> int:
        return self.count * n


@strawberry.type
class Node:
    id: strawberry.ID
    tags: list[str]
    colours: list[Colour | None]
    item: Item | None
    required_item: Item
    items: list[Item]

    @strawberry.field
    def resolved_item(self, info: strawberry.Info) -> Item | None:
        assert info.field_name == "resolvedItem"
        return self.item

    @strawberry.field
    def plain_item(self) -> Item:
        return self.required_item

    @strawberry.field
    def failing_item(self) -> Item | None:
        raise ValueError("no item here")

    @strawberry.field
    def failing_required_item(self) -> Item:
        raise ValueError("no required item here")

    @strawberry.field
    async def later_item(self) -> Item:
        return self.required_item


def _node(index: int, **changes: Any) -> Node:
    values: dict[str, Any] = {
        "id": strawberry.ID(f"n{index}"),
        "tags": [f"t{index}", "x"],
        "colours": [Colour.RED, None],
        "item": _item(index) if index % 2 else None,
        "required_item": _item(index + 10),
        "items": [_item(index), _item(index + 1)],
    }
    values.update(changes)
    return Node(**values)


@strawberry.type
class Edge:
    cursor: str
    node: Node


@strawberry.type
class Connection:
    edges: list[Edge]
    maybe_edges: list[Edge | None]


def _item(index: int, **changes: Any) -> Item:
    values: dict[str, Any] = {
        "id": strawberry.ID(str(index)),
        "name": f"item {index}",
        "note": None if index % 2 else f"note {index}",
        "colour": Colour.RED if index % 2 else Colour.BLUE,
        "count": index,
    }
    values.update(changes)
    return Item(**values)


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return [_item(index) for index in range(5)]

    @strawberry.field
    def maybe_items(self) -> list[Item | None]:
        return [_item(0), None, _item(2)]

    @strawberry.field
    def broken_null(self) -> list[Item]:
        # A non-null field holding null: a bug the full path reports with its path.
        return [_item(0), _item(1, name=None)]

    @strawberry.field
    def broken_null_item(self) -> list[Item]:
        return [_item(0), None]  # type: ignore[list-item]

    @strawberry.field
    def broken_type(self) -> list[Item]:
        return [_item(0), _item(1, count="many")]

    @strawberry.field
    async def later(self) -> Item:
        return _item(7)

    @strawberry.field
    def odd_values(self) -> list[Item]:
        # Values the output coercion changes or refuses: an Int past 32 bits, a bool
        # and a float where an Int belongs, an int where a String or an ID belongs.
        return [
            _item(0, count=2**40),
            _item(1, count=True, name=5, id=7),
            _item(2, count=3.0),
        ]

    @strawberry.field
    def connection(self) -> Connection:
        edges = [Edge(cursor=f"c{index}", node=_node(index)) for index in range(4)]
        return Connection(edges=edges, maybe_edges=[edges[0], None, edges[1]])

    @strawberry.field
    def broken_connection(self) -> Connection | None:
        # A non-null object field holding null, two objects deep in a non-null list.
        edges = [Edge(cursor="c0", node=_node(0)), Edge(cursor="c1", node=_node(1))]
        edges[1].node.required_item = None  # type: ignore[assignment]
        return Connection(edges=edges, maybe_edges=[])

    @strawberry.field
    def broken_tags(self) -> Node:
        return _node(0, tags=["a", None], colours=["green"])


def _schema(*, lean: bool = False) -> strawberry.Schema:
    schema = strawberry.Schema(query=Query, execution_context_class=Executor)
    if lean:
        lean_resolvers(schema)
    return schema


FAST = _schema()
LEAN = _schema(lean=True)
FULL = strawberry.Schema(query=Query)

DOCUMENTS = {
    "plain list": "{ items { id name note colour count } }",
    "aliases and typename": "{ items { key: id __typename label: name again: name } }",
    "mixed with resolvers": "{ items { id shout times(n: 3) colour } }",
    "skip and include": (
        "query($no: Boolean!) { items { id name @skip(if: $no) note @include(if: $no) } }"
    ),
    "fragments": "{ items { ...Parts } } fragment Parts on Item { id ... on Item { count } }",
    "nullable items": "{ maybeItems { id note } }",
    "null in a non-null field": "{ brokenNull { id name } }",
    "null item in a non-null list": "{ brokenNullItem { id } }",
    "value that fails coercion": "{ brokenType { id count } }",
    "awaited object": "{ later { id name colour __typename } }",
    "values the coercion changes or refuses": "{ oddValues { id name count } }",
    "nested objects": (
        "{ connection { edges { cursor node { id tags colours item { id name } requiredItem"
        " { id colour } items { id shout } resolvedItem { id } plainItem { name } } } } }"
    ),
    "nullable list items of objects": "{ connection { maybeEdges { cursor node { id } } } }",
    "resolver raising for a nullable object": (
        "{ connection { edges { node { id failingItem { id } } } } }"
    ),
    "resolver raising for a non-null object": (
        "{ connection { edges { cursor node { id failingRequiredItem { id } } } } }"
    ),
    "awaited nested object": "{ connection { edges { node { laterItem { id name } } } } }",
    "null in a non-null nested object": (
        "{ brokenConnection { edges { node { id requiredItem { id } } } } }"
    ),
    "list of leaves that fails": "{ brokenTags { id tags colours } }",
    "nested fragments and aliases": (
        "{ connection { edges { n: node { ...N } again: node { id } } } }"
        " fragment N on Node { id item { ... on Item { name } } requiredItem { __typename } }"
    ),
}

EXECUTORS = {"fast": FAST, "fast with lean resolvers": LEAN}


@pytest.mark.parametrize("document", DOCUMENTS.values(), ids=DOCUMENTS.keys())
@pytest.mark.parametrize("executor", EXECUTORS.values(), ids=EXECUTORS.keys())
async def test_fast_path_answers_like_the_full_path(
    executor: strawberry.Schema, document: str
) -> None:
    # given: the same document and variables for both executors
    variables = {"no": True}

    # when
    fast = await executor.execute(document, variable_values=variables)
    full = await FULL.execute(document, variable_values=variables)

    # then: the same bytes: data with its key order, errors (messages, paths, locations)
    assert_same_bytes(response_json(full), response_json(fast), document)


async def test_errors_of_the_fast_path_are_the_full_paths_errors() -> None:
    # when: a non-null field holds null inside a list of plain objects
    result = await FAST.execute("{ brokenNull { id name } }")

    # then: reported once, at the item's field, and the non-null list nulls the root field
    assert result.data is None
    assert result.errors is not None
    assert [error.path for error in result.errors] == [["brokenNull", 1, "name"]]
    assert "Cannot return null for non-nullable field Item.name" in result.errors[0].message


@pytest.fixture
def full_path_fields(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Parent.field for every field that goes through graphql-core's execute_field."""
    resolved: list[str] = []
    original = Executor.execute_field

    def counting(self: Executor, parent_type: Any, source: Any, details: Any, *rest: Any) -> Any:
        resolved.append(f"{parent_type.name}.{details[0].node.name.value}")
        return original(self, parent_type, source, details, *rest)

    monkeypatch.setattr(Executor, "execute_field", counting)
    return resolved


async def test_plain_fields_skip_the_full_path(full_path_fields: list[str]) -> None:
    # given: a count of the fields that go through graphql-core's execute_field
    resolved = full_path_fields

    # when
    result = await FAST.execute("{ items { id name note colour shout times(n: 2) } }")

    # then: only the root field and the fields with resolvers took the full path
    assert result.errors is None
    assert sorted(set(resolved)) == ["Item.shout", "Item.times", "Query.items"]
    assert resolved.count("Item.shout") == 5


async def test_object_fields_skip_the_full_path(full_path_fields: list[str]) -> None:
    # given: a count of the fields that go through graphql-core's execute_field
    resolved = full_path_fields

    # when: edges, nodes and items are attributes or lean sync resolvers
    result = await LEAN.execute(
        "{ connection { edges { node { id item { id } resolvedItem { id } laterItem { id } } } } }"
    )

    # then: only the async resolver took the full path (the root field is a lean one too)
    assert result.errors is None
    assert sorted(set(resolved)) == ["Node.laterItem"]


def test_the_application_schema_uses_the_executor() -> None:
    # given
    from schema import schema

    # then
    assert schema.execution_context_class is Executor


async def test_lean_resolvers_answer_like_strawberrys_wrapper() -> None:
    # given: a schema whose simple resolvers are called directly
    lean = strawberry.Schema(query=Query, execution_context_class=Executor)
    changed = lean_resolvers(lean)
    document = "{ items { id shout times(n: 2) } later { shout } }"

    # when
    fast = await lean.execute(document)
    full = await FULL.execute(document)

    # then: resolvers with arguments or an await keep Strawberry's path; answers agree
    # (the installed resolvers live on the graphql-core schema, Strawberry's private _schema)
    item = cast("GraphQLObjectType", lean._schema.type_map["Item"])
    query = cast("GraphQLObjectType", lean._schema.type_map["Query"])
    assert changed == 14  # Item.shout, the four sync Node resolvers, the nine sync root fields
    assert getattr(item.fields["shout"].resolve, "__name__", None) == "plain"
    assert getattr(item.fields["times"].resolve, "__name__", None) != "plain"
    assert getattr(query.fields["later"].resolve, "__name__", None) != "plain"
    assert_same_bytes(response_json(full), response_json(fast), document)
    assert fast.errors is None


def test_the_application_schema_calls_the_hot_resolvers_directly() -> None:
    # given
    from schema import schema

    # then: the directory's nested fields skip Strawberry's wrapper
    types = schema._schema.type_map
    for type_name, field_name in [
        ("Doctor", "category"),
        ("Doctor", "schedules"),
        ("Schedule", "contactPhone"),
    ]:
        resolve = cast("GraphQLObjectType", types[type_name]).fields[field_name].resolve
        assert getattr(resolve, "__name__", None) == "with_info", (type_name, field_name)
