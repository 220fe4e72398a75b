"""The executor's plain-field fast path answers exactly what graphql-core's full path answers."""

from __future__ import annotations

import enum
from typing import Any, cast

import pytest
import strawberry
from graphql import GraphQLObjectType

from schema.execution import Executor, lean_resolvers

# A small schema with every case the fast path decides on: plain scalars and enums,
# nullable and not, a resolver field, a field with arguments, lists of plain objects.


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


FAST = strawberry.Schema(query=Query, execution_context_class=Executor)
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
}


@pytest.mark.parametrize("document", DOCUMENTS.values(), ids=DOCUMENTS.keys())
async def test_fast_path_answers_like_the_full_path(document: str) -> None:
    # given: the same document and variables for both executors
    variables = {"no": True}

    # when
    fast = await FAST.execute(document, variable_values=variables)
    full = await FULL.execute(document, variable_values=variables)

    # then: same data, same errors (messages, paths, locations)
    assert fast.data == full.data
    assert [error.formatted for error in fast.errors or []] == [
        error.formatted for error in full.errors or []
    ]


async def test_errors_of_the_fast_path_are_the_full_paths_errors() -> None:
    # when: a non-null field holds null inside a list of plain objects
    result = await FAST.execute("{ brokenNull { id name } }")

    # then: reported once, at the item's field, and the non-null list nulls the root field
    assert result.data is None
    assert result.errors is not None
    assert [error.path for error in result.errors] == [["brokenNull", 1, "name"]]
    assert "Cannot return null for non-nullable field Item.name" in result.errors[0].message


async def test_plain_fields_skip_the_full_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # given: a count of the fields that go through graphql-core's execute_field
    resolved: list[str] = []
    original = Executor.execute_field

    def counting(self: Executor, parent_type: Any, source: Any, details: Any, *rest: Any) -> Any:
        resolved.append(f"{parent_type.name}.{details[0].node.name.value}")
        return original(self, parent_type, source, details, *rest)

    monkeypatch.setattr(Executor, "execute_field", counting)

    # when
    result = await FAST.execute("{ items { id name note colour shout times(n: 2) } }")

    # then: only the root field and the fields with resolvers took the full path
    assert result.errors is None
    assert sorted(set(resolved)) == ["Item.shout", "Item.times", "Query.items"]
    assert resolved.count("Item.shout") == 5


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
    item = cast("GraphQLObjectType", lean._schema.type_map["Item"])
    query = cast("GraphQLObjectType", lean._schema.type_map["Query"])
    assert changed == 6  # Item.shout and the five sync root fields
    assert getattr(item.fields["shout"].resolve, "__name__", None) == "plain"
    assert getattr(item.fields["times"].resolve, "__name__", None) != "plain"
    assert getattr(query.fields["later"].resolve, "__name__", None) != "plain"
    assert fast.data == full.data
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
