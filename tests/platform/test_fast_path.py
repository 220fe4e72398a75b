"""The fast path runs only on the versions it was verified on, and only when the setting allows."""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any, cast

import pytest
import strawberry
from graphql import GraphQLObjectType
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema import build_schema
from schema.platform import execution
from schema.platform.execution import Executor, FastPathSchema
from schema.platform.guards import Limits
from settings import Settings, SettingsError

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements.txt"
INSTALLED = {name: metadata.version(name) for name in execution.VERIFIED_VERSIONS}
LEAN_NAMES = ("plain", "with_info")  # the resolvers lean_resolvers installs


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "hi"


def _hello_resolver(schema: strawberry.Schema) -> Any:
    # The graphql-core schema is Strawberry's private _schema (no public accessor).
    query = cast("GraphQLObjectType", schema._schema.type_map["Query"])
    return query.fields["hello"].resolve


def _runner(schema: strawberry.Schema) -> SchemaExtensionsRunner:
    return schema.create_extensions_runner(cast("Any", None), [])


@pytest.fixture
def warnings_of_the_fast_path(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> Callable[[], list[str]]:
    """The fast path's warnings from here on, as if the process had just started."""
    monkeypatch.setattr(execution, "_WARNED", set())
    caplog.set_level(logging.WARNING, logger=execution.logger.name)

    def logged() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == execution.logger.name]

    return logged


def test_the_verified_versions_are_the_pinned_and_installed_ones() -> None:
    # given
    pins = dict(
        line.strip().split("==", 1)
        for line in REQUIREMENTS.read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )

    # then: requirements.txt installs exactly what the fast path was verified on
    for name, version in execution.VERIFIED_VERSIONS.items():
        assert pins[name] == version, name
    assert execution.unverified_versions() == {}


def test_on_the_verified_versions_the_schema_takes_the_fast_path(
    monkeypatch: pytest.MonkeyPatch, warnings_of_the_fast_path: Callable[[], list[str]]
) -> None:
    # given: the installed versions are the verified ones
    monkeypatch.setattr(execution, "VERIFIED_VERSIONS", dict(INSTALLED))

    # when
    schema = FastPathSchema(query=Query)

    # then: the executor and lean resolvers, Strawberry's own extensions runner; nothing logged
    assert schema.fast_path
    assert schema.execution_context_class is Executor
    assert getattr(_hello_resolver(schema), "__name__", None) in LEAN_NAMES
    assert type(_runner(schema)) is SchemaExtensionsRunner
    assert warnings_of_the_fast_path() == []


def test_on_any_other_version_the_schema_is_stock_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, warnings_of_the_fast_path: Callable[[], list[str]]
) -> None:
    # given: the fast path was verified on another graphql-core than the installed one
    monkeypatch.setattr(execution, "VERIFIED_VERSIONS", {**INSTALLED, "graphql-core": "3.3.0a1"})

    # when: the server builds its schemas (two, as with two sets of limits)
    first = FastPathSchema(query=Query)
    second = FastPathSchema(query=Query)

    # then: Strawberry's stock path, both times, and one warning naming both versions
    for schema in (first, second):
        assert not schema.fast_path
        assert schema.execution_context_class is StrawberryGraphQLCoreExecutionContext
        assert getattr(_hello_resolver(schema), "__name__", None) not in LEAN_NAMES
        assert type(_runner(schema)) is SchemaExtensionsRunner
    [message] = warnings_of_the_fast_path()
    assert f"graphql-core {INSTALLED['graphql-core']}" in message
    assert "graphql-core 3.3.0a1" in message


async def test_the_stock_schema_still_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    # given: an unverified Strawberry
    monkeypatch.setattr(
        execution, "VERIFIED_VERSIONS", {**INSTALLED, "strawberry-graphql": "0.0.1"}
    )
    schema = FastPathSchema(query=Query)

    # when
    result = await schema.execute("{ hello }")

    # then
    assert result.errors is None
    assert result.data == {"hello": "hi"}


def test_the_setting_switches_the_application_schema_to_the_stock_path() -> None:
    # given: GRAPHQL_FAST_PATH as the environment sets it
    off = Settings.from_env({"GRAPHQL_FAST_PATH": "false"})
    default = Settings.from_env({})

    # when: the schemas the app would build with those settings
    stock = build_schema(Limits.from_settings(off))
    fast = build_schema(Limits.from_settings(default))

    # then
    assert not off.graphql_fast_path
    assert default.graphql_fast_path
    assert not stock.fast_path
    assert stock.execution_context_class is StrawberryGraphQLCoreExecutionContext
    assert fast.fast_path
    assert fast.execution_context_class is Executor


def test_the_setting_leaves_out_named_pieces_and_refuses_unknown_ones() -> None:
    # given: GRAPHQL_FAST_PATH_WITHOUT as a measurement sets it
    settings = Settings.from_env({"GRAPHQL_FAST_PATH_WITHOUT": " executor "})

    # when
    schema = build_schema(Limits.from_settings(settings))

    # then: only the lean resolvers remain, on Strawberry's own execution context
    assert schema.pieces == {"lean-resolvers"}
    assert schema.execution_context_class is StrawberryGraphQLCoreExecutionContext
    with pytest.raises(SettingsError, match="unknown pieces prepared-hooks"):
        Settings.from_env({"GRAPHQL_FAST_PATH_WITHOUT": "executor,prepared-hooks"})


def test_the_argument_overrides_the_limits() -> None:
    # when
    stock = build_schema(Limits(), fast_path=False)

    # then: the same limits, Strawberry's stock path
    assert not stock.fast_path
    assert stock is not build_schema(Limits())
