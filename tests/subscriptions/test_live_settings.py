"""Live update settings: read from the environment, checked, and what they decide."""

from __future__ import annotations

import re

import pytest

from db.listener import listen_dsn
from settings import PoolMode, Settings, SettingsError

DIRECT = "postgresql://app@db.internal:5432/medimyth"
POOLER = "postgresql://app@pooler.internal:6543/medimyth"


def test_the_defaults_listen_on_the_database_url() -> None:
    settings = Settings.from_env({"DATABASE_URL": DIRECT})
    assert settings.live_poll_seconds == 1.0
    assert settings.live_resync_seconds == 30.0
    assert settings.live_init_seconds == 5.0
    assert settings.live_max_subscriptions_per_connection == 10
    assert settings.live_max_subscriptions_per_address == 100
    found = listen_dsn(settings)
    assert found is not None
    assert found[0] == DIRECT
    assert found[1]["server_settings"] == {"application_name": "medimyth-live"}


def test_behind_a_transaction_pooler_it_polls_unless_a_listening_url_is_given() -> None:
    pooled = {"DATABASE_URL": POOLER, "DB_POOL_MODE": "transaction"}
    assert Settings.from_env(pooled).db_pool_mode is PoolMode.TRANSACTION
    assert listen_dsn(Settings.from_env(pooled)) is None
    with_url = Settings.from_env({**pooled, "LIVE_LISTEN_URL": DIRECT})
    found = listen_dsn(with_url)
    assert found is not None
    assert found[0] == DIRECT


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LIVE_LISTEN_URL", "mysql://x", "LIVE_LISTEN_URL must be a postgresql+asyncpg:// URL"),
        ("LIVE_POLL_SECONDS", "0.01", "LIVE_POLL_SECONDS must be at least 0.1"),
        ("LIVE_POLL_SECONDS", "soon", "LIVE_POLL_SECONDS must be a number of seconds"),
        ("LIVE_RESYNC_SECONDS", "nan", "LIVE_RESYNC_SECONDS must be at least 1"),
        ("LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION", "0", "must be at least 1"),
    ],
)
def test_a_bad_value_is_refused_at_start(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.from_env({"DATABASE_URL": DIRECT, name: value})
