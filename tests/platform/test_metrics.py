"""The metrics in one process: pool gauges from a real pool, bounded labels, the settings."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, parse
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from app.metrics import KNOWN_OPERATIONS, MAX_OTHER_NAMES, Metrics
from db.session import Database
from schema.platform.spans import OperationSpans
from settings import Settings, SettingsError
from tests.operations import OPERATIONS_DIR

PRODUCTION = {"ENVIRONMENT": "production", "SECRET_KEY": "s" * 40}


async def gauges(metrics: Metrics) -> dict[str, float]:
    rendered = (await metrics.render(None)).decode()
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(rendered)
        for sample in family.samples
        if sample.name.startswith("medimyth_db_pool")
    }


async def settle(metrics: Metrics, expected: dict[str, float]) -> None:
    """Let the event loop run until the gauges read ``expected`` (a bounded number of turns)."""
    for _ in range(1000):
        if await gauges(metrics) == expected:
            return
        await asyncio.sleep(0.005)
    assert await gauges(metrics) == expected


async def test_the_pool_gauges_count_connections_in_use_and_checkouts_waiting(
    settings: Settings,
) -> None:
    # given a pool of one connection, watched by the metrics
    metrics = Metrics(dataclasses.replace(settings, metrics_enabled=True))
    small = dataclasses.replace(settings, db_pool_size=1, db_max_overflow=0)
    database = Database(small, pool_watch=metrics)
    try:
        # when one caller holds the connection and a second asks for it
        async with database.engine.connect() as held:
            await held.execute(text("SELECT 1"))
            await settle(metrics, {"medimyth_db_pool_in_use": 1, "medimyth_db_pool_waiting": 0})

            async def second() -> None:
                async with database.engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))

            waiter = asyncio.create_task(second())
            # then the second waits while the first holds it
            await settle(metrics, {"medimyth_db_pool_in_use": 1, "medimyth_db_pool_waiting": 1})
        await waiter
        # and when both are done, nothing is in use and nobody waits
        await settle(metrics, {"medimyth_db_pool_in_use": 0, "medimyth_db_pool_waiting": 0})
    finally:
        await database.dispose()


def test_operation_labels_stay_bounded(settings: Settings) -> None:
    # given metrics in one worker
    metrics = Metrics(dataclasses.replace(settings, metrics_enabled=True))
    # when names arrive: the frontend's, none, odd ones, and a client inventing one per request
    known = metrics.operation_label("DoctorPage")
    unnamed = metrics.operation_label(None)
    too_long = metrics.operation_label("Q" + "x" * 40)
    invented = {metrics.operation_label(f"Made{n}") for n in range(MAX_OTHER_NAMES + 20)}
    # then the frontend's keep their names, and only so many others get one
    assert (known, unnamed, too_long) == ("DoctorPage", "anonymous", "other")
    assert len(invented - {"other"}) == MAX_OTHER_NAMES
    assert "other" in invented
    assert metrics.operation_label("BookAppointment") == "BookAppointment"  # never crowded out


def test_the_known_operations_are_the_frontends() -> None:
    # given every operation the frontend sends (shared/operations, all folders)
    names = {
        definition.name.value
        for path in sorted(Path(OPERATIONS_DIR).rglob("*.graphql"))
        for definition in parse(path.read_text()).definitions
        if isinstance(definition, OperationDefinitionNode) and definition.name is not None
    }
    # then the metrics know exactly those (update app/metrics.py when this fails)
    assert names == KNOWN_OPERATIONS


def test_production_serves_metrics_only_with_a_token() -> None:
    # when metrics are turned on in production without a token, or with a short one
    # then the process refuses to start, naming the setting
    with pytest.raises(SettingsError, match="METRICS_TOKEN"):
        Settings.from_env({**PRODUCTION, "METRICS_ENABLED": "true"})
    with pytest.raises(SettingsError, match="METRICS_TOKEN"):
        Settings.from_env({**PRODUCTION, "METRICS_ENABLED": "true", "METRICS_TOKEN": "short"})
    # and with one, or with metrics off, it starts
    token = "t" * 32
    on = Settings.from_env({**PRODUCTION, "METRICS_ENABLED": "true", "METRICS_TOKEN": token})
    assert (on.metrics_enabled, on.metrics_token) == (True, token)
    assert Settings.from_env(PRODUCTION).metrics_enabled is False


def test_traces_follow_the_standard_otel_variables() -> None:
    # given the OTEL_* variables as an operator sets them
    cases = {
        (): None,
        (("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),): "otlp",
        (("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318/v1/traces"),): "otlp",
        (("OTEL_TRACES_EXPORTER", "console"),): "console",
        (("OTEL_TRACES_EXPORTER", "none"), ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c")): None,
        (("OTEL_SDK_DISABLED", "true"), ("OTEL_TRACES_EXPORTER", "otlp")): None,
    }
    # when they are read, then traces are on exactly when an exporter is asked for
    for env, exporter in cases.items():
        assert Settings.from_env(dict(env)).otel_traces_exporter == exporter, env
    with pytest.raises(SettingsError, match="OTEL_TRACES_EXPORTER"):
        Settings.from_env({"OTEL_TRACES_EXPORTER": "zipkin"})


def test_the_graphql_spans_keep_the_executors_fast_path() -> None:
    # Strawberry installs field middleware, which turns the fast path off, only for an
    # extension with a resolve hook: the operation spans have none.
    assert OperationSpans._implements_resolve() is False
