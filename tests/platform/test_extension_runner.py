"""The prepared extension runner runs every hook exactly as Strawberry's own runner does."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext

from schema.platform.extension_runner import PreparedExtensionsRunner

EVENTS: list[str] = []


class Generators(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        EVENTS.append("operation in")
        yield
        errors = getattr(self.execution_context.result, "errors", None)
        EVENTS.append(f"operation out, errors: {bool(errors)}")

    def on_parse(self) -> Iterator[None]:
        EVENTS.append("parse in")
        yield
        EVENTS.append("parse out")

    async def on_execute(self) -> AsyncIterator[None]:
        EVENTS.append("execute in (async)")
        yield
        EVENTS.append("execute out (async)")


class Callables(SchemaExtension):
    def on_validate(self) -> None:  # type: ignore[override]
        EVENTS.append("validate (plain function)")

    async def on_execute(self) -> None:  # type: ignore[override]
        EVENTS.append("execute (async function)")


class Second(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        EVENTS.append("second operation in")
        yield
        EVENTS.append("second operation out")


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "hi"

    @strawberry.field
    def broken(self) -> str:
        raise ValueError("broken")


class PreparedSchema(strawberry.Schema):
    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return PreparedExtensionsRunner(execution_context=execution_context, extensions=extensions)


EXTENSIONS: list[Any] = [Generators, Callables, Second]
PREPARED = PreparedSchema(query=Query, extensions=EXTENSIONS)
STRAWBERRY = strawberry.Schema(query=Query, extensions=EXTENSIONS)
DOCUMENTS = {
    "answer": "{ hello }",
    "field error": "{ broken }",
    "syntax error": "{ hello",
    "validation error": "{ nope }",
}


@pytest.mark.parametrize("document", DOCUMENTS.values(), ids=DOCUMENTS.keys())
async def test_hooks_run_as_strawberrys_runner_runs_them(document: str) -> None:
    # given: the same extensions on both schemas
    EVENTS.clear()

    # when
    prepared = await PREPARED.execute(document)
    prepared_events = list(EVENTS)
    EVENTS.clear()
    expected = await STRAWBERRY.execute(document)

    # then: the same hooks, in the same order, and the same answer (twice: once prepared)
    assert prepared_events == EVENTS
    assert len(prepared_events) >= 3
    assert prepared.data == expected.data
    assert [e.message for e in prepared.errors or []] == [e.message for e in expected.errors or []]


async def test_the_application_schema_uses_the_prepared_runner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: a record of the runners that start an operation
    from schema import schema

    runners: list[type] = []
    original = PreparedExtensionsRunner.operation

    def recording(self: PreparedExtensionsRunner) -> Any:
        runners.append(type(self))
        return original(self)

    monkeypatch.setattr(PreparedExtensionsRunner, "operation", recording)

    # when
    result = await schema.execute("{ __typename }")

    # then
    assert result.errors is None
    assert runners == [PreparedExtensionsRunner]
