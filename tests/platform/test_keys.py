"""The keyring: SECRET_KEY first, SECRET_KEY_PREVIOUS after, every key as strong as the current."""

from __future__ import annotations

import pytest

from resolvers.platform.keys import Key, Keyring, key_id, keyring_of
from settings import DEVELOPMENT_SECRET, Settings, SettingsError

CURRENT = "c" * 40
OLDER = "o" * 40
OLDEST = "p" * 40
PRODUCTION = {"ENVIRONMENT": "production", "SECRET_KEY": CURRENT}


def test_previous_keys_follow_the_current_one_in_the_order_listed() -> None:
    # given
    env = {**PRODUCTION, "SECRET_KEY_PREVIOUS": f" {OLDER} ,{OLDEST},"}
    # when
    keyring = keyring_of(Settings.from_env(env))
    # then
    assert [key.secret for key in keyring.keys] == [CURRENT, OLDER, OLDEST]
    assert keyring.current == Key(kid=key_id(CURRENT), secret=CURRENT)


def test_without_previous_keys_the_keyring_holds_the_current_key_alone() -> None:
    # when
    keyring = keyring_of(Settings.from_env(PRODUCTION))
    # then
    assert keyring.keys == (Key.of(CURRENT),)


@pytest.mark.parametrize("weak", ["short", "x" * 31, DEVELOPMENT_SECRET])
def test_production_refuses_a_previous_key_weaker_than_a_current_one(weak: str) -> None:
    # given
    env = {**PRODUCTION, "SECRET_KEY_PREVIOUS": f"{OLDER},{weak}"}
    # then
    with pytest.raises(SettingsError, match="SECRET_KEY_PREVIOUS key 2 must be"):
        Settings.from_env(env)


def test_development_accepts_short_previous_keys() -> None:
    # when
    settings = Settings.from_env({"SECRET_KEY_PREVIOUS": "old dev key"})
    # then
    assert settings.secret_key == DEVELOPMENT_SECRET
    assert settings.secret_key_previous == ("old dev key",)


@pytest.mark.parametrize(
    ("previous", "problem"),
    [
        (CURRENT, "SECRET_KEY_PREVIOUS key 1 is SECRET_KEY itself"),
        (f"{OLDER},{OLDER}", "SECRET_KEY_PREVIOUS key 2 is listed twice"),
    ],
)
def test_a_key_listed_twice_is_refused(previous: str, problem: str) -> None:
    # then
    with pytest.raises(SettingsError, match=problem):
        Settings.from_env({**PRODUCTION, "SECRET_KEY_PREVIOUS": previous})


def test_the_secret_key_check_comes_before_the_previous_keys() -> None:
    # then
    with pytest.raises(SettingsError, match=r"^SECRET_KEY must be set"):
        Settings.from_env({"ENVIRONMENT": "production", "SECRET_KEY_PREVIOUS": OLDER})


def test_a_key_id_is_the_same_everywhere_and_differs_between_keys() -> None:
    # when
    ids = [key_id(CURRENT), key_id(CURRENT), key_id(OLDER)]
    # then
    assert ids[0] == ids[1] != ids[2]
    assert all(len(kid) == 8 and int(kid, 16) >= 0 for kid in ids)


def test_matching_key_names_the_key_that_made_a_value_and_none_for_a_stranger() -> None:
    # given
    keyring = Keyring.of(CURRENT, OLDER)
    made_by_older = Key.of(OLDER).mac("message").hex()
    made_by_stranger = Key.of(OLDEST).mac("message").hex()

    def make(key: Key) -> str:
        return key.mac("message").hex()

    # when
    found = keyring.matching_key(made_by_older, make)
    missing = keyring.matching_key(made_by_stranger, make)
    # then
    assert found == Key.of(OLDER)
    assert missing is None
    assert keyring.matching_key("not ascii: ü", make) is None
