"""The hardening settings: safe defaults per environment, every limit configurable, bad values refused."""

from __future__ import annotations

import pytest

from db.session import transaction_settings
from settings import LogFormat, Settings, SettingsError

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
            "MAX_REQUEST_BYTES": "2048",
            "DB_STATEMENT_TIMEOUT_MS": "1500",
            "SEARCH_SIMILARITY_THRESHOLD": "0.4",
        }
    )
    # then
    assert settings.graphql_max_depth == 6
    assert settings.graphql_max_aliases == 0
    assert settings.graphql_max_tokens == 500
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
        ("GRAPHQL_INTROSPECTION", "maybe"),
        ("GRAPHIQL", "sometimes"),
        ("LOG_FORMAT", "xml"),
        ("SEARCH_SIMILARITY_THRESHOLD", "2"),
        ("SEARCH_SIMILARITY_THRESHOLD", "half"),
    ],
)
def test_bad_values_are_refused_with_the_setting_named(name: str, value: str) -> None:
    # then
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})
