"""TRUSTED_PROXIES and TRUSTED_PROXY_HEADER: loopback by default, never everyone, one source."""

from __future__ import annotations

import ipaddress
import runpy

import pytest

from app.server import uvicorn_options
from settings import ProxyHeader, Settings, SettingsError, get_settings
from tests.database import ROOT


def test_by_default_only_a_proxy_on_the_same_host_is_trusted() -> None:
    # when
    settings = Settings.from_env({})
    # then
    assert settings.trusted_proxies == (
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("::1/128"),
    )
    assert settings.trusted_proxy_header is ProxyHeader.X_FORWARDED_FOR
    assert settings.trusted_proxy_hops == 1


def test_addresses_and_networks_are_read_from_the_environment() -> None:
    # when
    settings = Settings.from_env(
        {
            "TRUSTED_PROXIES": " 10.0.0.0/8, 192.0.2.7 ,fd00::/8",
            "TRUSTED_PROXY_HEADER": "Forwarded",
            "TRUSTED_PROXY_HOPS": "2",
        }
    )
    # then
    assert [str(network) for network in settings.trusted_proxies] == [
        "10.0.0.0/8",
        "192.0.2.7/32",
        "fd00::/8",
    ]
    assert settings.trusted_proxy_header is ProxyHeader.FORWARDED
    assert settings.trusted_proxy_hops == 2


def test_none_trusts_no_peer() -> None:
    # when / then
    assert Settings.from_env({"TRUSTED_PROXIES": "none"}).trusted_proxies == ()


def test_uvicorns_forwarded_allow_ips_keeps_its_meaning_unless_trusted_proxies_is_set() -> None:
    # when
    fallback = Settings.from_env({"FORWARDED_ALLOW_IPS": "10.1.0.0/16"})
    both = Settings.from_env({"FORWARDED_ALLOW_IPS": "10.1.0.0/16", "TRUSTED_PROXIES": "10.2.0.1"})
    # then
    assert fallback.trusted_proxies == (ipaddress.ip_network("10.1.0.0/16"),)
    assert both.trusted_proxies == (ipaddress.ip_network("10.2.0.1"),)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TRUSTED_PROXIES", "*"),
        ("TRUSTED_PROXIES", "127.0.0.1,*"),
        ("FORWARDED_ALLOW_IPS", "*"),
        ("TRUSTED_PROXIES", "10.0.0.300"),
        ("TRUSTED_PROXIES", "my-proxy.internal"),
        ("TRUSTED_PROXY_HEADER", "x-real-ip"),
        ("TRUSTED_PROXY_HOPS", "0"),
    ],
)
def test_trusting_everyone_or_a_bad_value_is_refused_with_the_setting_named(
    name: str, value: str
) -> None:
    # then
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_gunicorn_and_uvicorn_leave_the_client_address_to_the_app(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given the environment gunicorn starts in
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8,127.0.0.1")
    get_settings.cache_clear()
    try:
        # when gunicorn.conf.py is read, as gunicorn reads it
        config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
        options = uvicorn_options(get_settings())
    finally:
        get_settings.cache_clear()
    # then gunicorn believes the same proxies, and Uvicorn rewrites no client address
    assert config["forwarded_allow_ips"] == "10.0.0.0/8,127.0.0.1/32"
    assert options["proxy_headers"] is False
