"""Fetching ahead: the lookahead sees nested fields through fragments; loaded values answer at once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CategoryRecord
from db.session import Database
from resolvers.loaders import Loaders
from schema.platform.lookahead import Lookahead
from tests.factories import make_category

SEEN: list[tuple[bool, bool]] = []


@strawberry.type
class Leaf:
    name: str = "leaf"


@strawberry.type
class Node:
    @strawberry.field
    def category(self) -> Leaf:
        return Leaf()

    @strawberry.field
    def schedules(self) -> list[Leaf]:
        return [Leaf()]


@strawberry.type
class Edge:
    node: Node


@strawberry.type
class Query:
    @strawberry.field
    def edges(self, info: strawberry.Info) -> list[Edge]:
        selection = Lookahead(info)
        SEEN.append((selection.selects("node", "category"), selection.selects("node", "schedules")))
        return [Edge(node=Node())]


SCHEMA = strawberry.Schema(query=Query)


def _name(record: CategoryRecord | None) -> str | None:
    return None if record is None else record.name


CASES: dict[str, tuple[str, tuple[bool, bool]]] = {
    "direct": ("{ edges { node { category { name } } } }", (True, False)),
    "both": ("{ edges { node { category { name } schedules { name } } } }", (True, True)),
    "neither": ("{ edges { __typename } }", (False, False)),
    "named fragment": (
        "{ edges { ...E } } fragment E on Edge { node { schedules { name } } }",
        (False, True),
    ),
    "inline fragment": ("{ edges { node { ... on Node { category { name } } } } }", (True, False)),
    "alias": ("{ edges { n: node { c: category { name } } } }", (True, False)),
    "fragment in a fragment": (
        "{ edges { ...E } } fragment E on Edge { node { ...N } }"
        " fragment N on Node { category { name } }",
        (True, False),
    ),
    "parent only": ("{ edges { node { __typename } } }", (False, False)),
}


@pytest.mark.parametrize(("document", "expected"), CASES.values(), ids=CASES.keys())
async def test_lookahead_sees_the_nested_selection(
    document: str, expected: tuple[bool, bool]
) -> None:
    # given
    SEEN.clear()

    # when
    result = await SCHEMA.execute(document)

    # then
    assert result.errors is None
    assert [expected] == SEEN


async def test_a_loaded_value_answers_at_once_and_a_missing_one_as_a_future(
    session: AsyncSession, database: Database
) -> None:
    # given: two categories, one of them fetched ahead
    first = await make_category(session, "Cardiology")
    second = await make_category(session, "Dermatology")
    await session.commit()
    request = database.request_session()
    try:
        loaders = Loaders(request)
        await loaders.category_by_id.prefetch([first.id])

        # when
        ready: Any = loaders.category_by_id.load_then(first.id, _name)
        pending: Any = loaders.category_by_id.load_then(second.id, _name)

        # then: the loaded one is the converted value itself; the other a future of it
        assert ready == "Cardiology"
        assert isinstance(pending, asyncio.Future)
        assert await pending == "Dermatology"
    finally:
        await request.close()
