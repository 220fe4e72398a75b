"""Settings are read once from the environment, validated, and shape the engine per pool mode."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from db.session import engine_options
from settings import DEVELOPMENT_SECRET, Environment, PoolMode, Settings, SettingsError

URL = "postgresql+asyncpg://app:pw@db.example.com:6543/postgres"


def test_defaults_suit_a_developer_laptop() -> None:
    # when
    settings = Settings.from_env({})
    # then
    assert settings.database_url is None
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.db_pool_mode is PoolMode.DIRECT
    assert settings.default_time_zone == "Asia/Kolkata"
    assert settings.default_country_code == "+91"
    assert settings.cors_origins == ()


def test_paas_style_urls_are_turned_into_asyncpg_urls() -> None:
    # when
    settings = Settings.from_env({"DATABASE_URL": "postgres://u:p@host:5432/db"})
    # then
    assert settings.database_url == "postgresql+asyncpg://u:p@host:5432/db"


def test_production_refuses_to_start_without_a_real_secret() -> None:
    # then
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        Settings.from_env({"ENVIRONMENT": "production"})
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        Settings.from_env({"ENVIRONMENT": "production", "SECRET_KEY": DEVELOPMENT_SECRET})
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        Settings.from_env({"ENVIRONMENT": "production", "SECRET_KEY": "short"})
    assert Settings.from_env({"ENVIRONMENT": "production", "SECRET_KEY": "x" * 40}).is_production


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DB_POOL_MODE", "pgbouncer"),
        ("ENVIRONMENT", "staging"),
        ("DB_POOL_SIZE", "many"),
        ("DB_POOL_SIZE", "0"),
        ("DEFAULT_TIME_ZONE", "Mars/Olympus"),
        ("DEFAULT_COUNTRY_CODE", "91"),
        ("DATABASE_URL", "mysql://u@h/db"),
        ("OTP_SENDS_PER_ADDRESS_PER_HOUR", "0"),
        ("OTP_SENDS_PER_PREFIX_PER_HOUR", "lots"),
        ("OTP_SENDS_PER_HOUR", "0"),
        ("OTP_PREFIX_DIGITS", "0"),
        ("OTP_ALLOWED_COUNTRY_CODES", "+91,44"),
    ],
)
def test_bad_values_are_refused_with_the_setting_named(name: str, value: str) -> None:
    # then
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_otp_budgets_default_to_a_small_clinic_network_and_the_default_country() -> None:
    # when
    settings = Settings.from_env({"DEFAULT_COUNTRY_CODE": "+977"})
    # then
    assert settings.otp_sends_per_address_per_hour == 10
    assert settings.otp_sends_per_prefix_per_hour == 30
    assert settings.otp_prefix_digits == 5
    assert settings.otp_sends_per_hour == 300
    assert settings.sms_country_codes == ("+977",)


def test_otp_budgets_and_countries_come_from_the_environment() -> None:
    # when
    settings = Settings.from_env(
        {
            "OTP_SENDS_PER_ADDRESS_PER_HOUR": "3",
            "OTP_SENDS_PER_PREFIX_PER_HOUR": "7",
            "OTP_PREFIX_DIGITS": "4",
            "OTP_SENDS_PER_HOUR": "1000",
            "OTP_ALLOWED_COUNTRY_CODES": " +91, +977 ,+91",
        }
    )
    # then
    assert settings.otp_sends_per_address_per_hour == 3
    assert settings.otp_sends_per_prefix_per_hour == 7
    assert settings.otp_prefix_digits == 4
    assert settings.otp_sends_per_hour == 1000
    assert settings.sms_country_codes == ("+91", "+977")


def test_cors_origins_are_a_comma_separated_allow_list() -> None:
    # when
    settings = Settings.from_env(
        {"CORS_ORIGINS": "https://medimyth.in, https://admin.medimyth.in,"}
    )
    # then
    assert settings.cors_origins == ("https://medimyth.in", "https://admin.medimyth.in")


def test_transaction_mode_turns_off_both_statement_caches() -> None:
    # given
    settings = Settings(database_url=URL, db_pool_mode=PoolMode.TRANSACTION)
    # when
    url, options = engine_options(settings)
    # then
    assert make_url(url).query["prepared_statement_cache_size"] == "0"
    assert options["connect_args"]["statement_cache_size"] == 0
    assert make_url(url).password == "pw"


@pytest.mark.parametrize("mode", [PoolMode.DIRECT, PoolMode.SESSION])
def test_direct_and_session_modes_keep_prepared_statements(mode: PoolMode) -> None:
    # when
    url, options = engine_options(Settings(database_url=URL, db_pool_mode=mode))
    # then
    assert "prepared_statement_cache_size" not in make_url(url).query
    assert "statement_cache_size" not in options["connect_args"]


def test_pool_size_and_overflow_come_from_the_environment() -> None:
    # when
    settings = Settings.from_env({"DATABASE_URL": URL, "DB_POOL_SIZE": "3", "DB_MAX_OVERFLOW": "0"})
    _, options = engine_options(settings)
    # then
    assert (options["pool_size"], options["max_overflow"]) == (3, 0)
