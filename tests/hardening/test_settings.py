"""The hardening settings: safe defaults per environment, every limit configurable, bad values refused."""

from __future__ import annotations

import runpy

import pytest

from app.server import BoundedHttpToolsProtocol, HeaderLimits, uvicorn_options
from db.session import transaction_settings
from settings import LogFormat, Settings, SettingsError, get_settings
from tests.database import ROOT

PRODUCTION = {"ENVIRONMENT": "production", "SECRET_KEY": "s" * 40}


def test_development_defaults_show_everything_and_log_text() -> None:
    # when
    settings = Settings.from_env({})
    # then
    assert settings.introspection_enabled
    assert settings.graphiql_enabled
    assert not settings.logs_as_json
    assert (settings.graphql_max_depth, settings.graphql_max_aliases) == (10, 30)
    assert (settings.graphql_max_tokens, settings.max_request_bytes) == (2000, 65536)
    assert settings.graphql_max_cost == 5000
    assert settings.db_statement_timeout_ms == 5000
    assert settings.search_similarity_threshold == 0.5


def test_production_defaults_hide_the_schema_and_log_json() -> None:
    # when
    settings = Settings.from_env(PRODUCTION)
    # then
    assert not settings.introspection_enabled
    assert not settings.graphiql_enabled
    assert settings.logs_as_json


def test_production_may_turn_each_one_back_on() -> None:
    # when
    settings = Settings.from_env(
        PRODUCTION | {"GRAPHQL_INTROSPECTION": "true", "GRAPHIQL": "1", "LOG_FORMAT": "text"}
    )
    # then
    assert settings.introspection_enabled
    assert settings.graphiql_enabled
    assert settings.log_format is LogFormat.TEXT
    assert not settings.logs_as_json


def test_every_limit_is_read_from_the_environment() -> None:
    # when
    settings = Settings.from_env(
        {
            "GRAPHQL_MAX_DEPTH": "6",
            "GRAPHQL_MAX_ALIASES": "0",
            "GRAPHQL_MAX_TOKENS": "500",
            "GRAPHQL_MAX_COST": "800",
            "MAX_REQUEST_BYTES": "2048",
            "DB_STATEMENT_TIMEOUT_MS": "1500",
            "SEARCH_SIMILARITY_THRESHOLD": "0.4",
        }
    )
    # then
    assert settings.graphql_max_depth == 6
    assert settings.graphql_max_aliases == 0
    assert settings.graphql_max_tokens == 500
    assert settings.graphql_max_cost == 800
    assert settings.max_request_bytes == 2048
    assert transaction_settings(settings) == {
        "statement_timeout": "1500",
        "similarity_threshold": "0.4",
    }


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GRAPHQL_MAX_DEPTH", "1"),
        ("GRAPHQL_MAX_ALIASES", "-1"),
        ("GRAPHQL_MAX_TOKENS", "lots"),
        ("MAX_REQUEST_BYTES", "100"),
        ("GRAPHQL_MAX_COST", "9"),
        ("GRAPHQL_MAX_COST", "cheap"),
        ("GRAPHQL_INTROSPECTION", "maybe"),
        ("GRAPHIQL", "sometimes"),
        ("LOG_FORMAT", "xml"),
        ("SEARCH_SIMILARITY_THRESHOLD", "2"),
        ("SEARCH_SIMILARITY_THRESHOLD", "half"),
        ("MAX_HEADER_BYTES", "512"),
        ("MAX_HEADER_COUNT", "5"),
        ("HEADER_TIMEOUT_SECONDS", "0"),
        ("BODY_TIMEOUT_SECONDS", "soon"),
        ("WORKER_BALANCE", "evenly"),
    ],
)
def test_bad_values_are_refused_with_the_setting_named(name: str, value: str) -> None:
    # then
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_the_server_bounds_have_production_defaults_in_every_environment() -> None:
    # when
    defaults = [Settings.from_env({}), Settings.from_env(PRODUCTION)]
    # then
    for settings in defaults:
        assert (settings.max_header_bytes, settings.max_header_count) == (32 * 1024, 100)
        assert (settings.header_timeout_seconds, settings.body_timeout_seconds) == (10, 30)
        assert settings.control_socket is None


def test_the_server_bounds_are_read_from_the_environment() -> None:
    # when
    settings = Settings.from_env(
        {
            "MAX_HEADER_BYTES": "16384",
            "MAX_HEADER_COUNT": "50",
            "HEADER_TIMEOUT_SECONDS": "5",
            "BODY_TIMEOUT_SECONDS": "20",
            "GUNICORN_CONTROL_SOCKET": " /run/medimyth/gunicorn.ctl ",
        }
    )
    # then
    assert (settings.max_header_bytes, settings.max_header_count) == (16384, 50)
    assert (settings.header_timeout_seconds, settings.body_timeout_seconds) == (5, 20)
    assert settings.control_socket == "/run/medimyth/gunicorn.ctl"


@pytest.mark.parametrize(
    ("environ", "disabled", "path"),
    [
        ({}, True, None),
        ({"GUNICORN_CONTROL_SOCKET": "/run/medimyth/a.ctl"}, False, "/run/medimyth/a.ctl"),
    ],
)
def test_gunicorn_gets_the_bounds_and_no_shared_control_socket(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], disabled: bool, path: str | None
) -> None:
    # given the environment gunicorn starts in
    monkeypatch.delenv("GUNICORN_CONTROL_SOCKET", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        # when gunicorn.conf.py is read, as gunicorn reads it
        config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    finally:
        get_settings.cache_clear()
    # then the worker is the bounded one, and the control socket is off unless named
    assert config["worker_class"] == "app.server.UvicornWorker"
    assert config["control_socket_disable"] is disabled
    assert config.get("control_socket") == path


def test_the_worker_hands_uvicorn_the_bounded_protocol() -> None:
    # given
    settings = Settings(max_header_bytes=4096, max_header_count=20, header_timeout_seconds=3)
    # when
    options = uvicorn_options(settings)
    # then
    protocol = options["http"]
    assert issubclass(protocol, BoundedHttpToolsProtocol)
    assert protocol.limits == HeaderLimits(max_bytes=4096, max_fields=20, timeout_seconds=3.0)
    assert options["h11_max_incomplete_event_size"] == 4096


@pytest.mark.parametrize(("value", "balanced"), [(None, True), ("true", True), ("false", False)])
def test_the_workers_take_turns_accepting_unless_worker_balance_is_off(
    monkeypatch: pytest.MonkeyPatch, value: str | None, balanced: bool
) -> None:
    # given the environment gunicorn starts in
    monkeypatch.delenv("WORKER_BALANCE", raising=False)
    if value is not None:
        monkeypatch.setenv("WORKER_BALANCE", value)
    get_settings.cache_clear()
    try:
        # when gunicorn.conf.py is read, as gunicorn reads it
        config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
        setting = get_settings().worker_balance
    finally:
        get_settings.cache_clear()
    # then the master hands out the workers' slots in the shared table only when on
    assert setting is balanced
    assert ("pre_fork" in config, "child_exit" in config) == (balanced, balanced)
