"""Patient tokens are a kind of their own: never an account's token, nor one for the other."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from db.enums import AccountRole
from resolvers.accounts.tokens import issue_token, read_token
from resolvers.patients.tokens import issue_patient_token, read_patient_token
from resolvers.platform.keys import Keyring

NOW = datetime(2026, 12, 1, 3, 30, tzinfo=UTC)
PHONE = "+919830012345"
OLD, NEW = Keyring.of("an old key " * 4), Keyring.of("a new key " * 4, "an old key " * 4)
TTL = timedelta(minutes=30)


def patient(keyring: Keyring = OLD, *, now: datetime = NOW) -> str:
    return issue_patient_token(keyring=keyring, phone=PHONE, now=now, ttl=TTL).token


def account(keyring: Keyring = OLD, role: AccountRole = AccountRole.DOCTOR) -> str:
    return issue_token(
        keyring=keyring, account_id=1, role=role, version=0, now=NOW, ttl=timedelta(hours=12)
    ).token


def test_a_patient_token_names_its_phone_until_it_expires() -> None:
    # given
    token = patient()
    # when
    read = [
        read_patient_token(token, keyring=OLD, now=NOW + TTL - timedelta(seconds=s)) for s in (1, 0)
    ]
    # then
    assert read == [PHONE, None]


def test_a_patient_token_is_no_account_token() -> None:
    # given / when / then
    assert read_token(patient(), keyring=OLD, now=NOW) is None
    assert read_token(patient(NEW), keyring=NEW, now=NOW) is None


def test_no_account_token_is_a_patient_token() -> None:
    # given every kind of account token, under the current key and a previous one
    tokens = [account(keyring, role) for keyring in (OLD, NEW) for role in AccountRole]
    # when
    read = [read_patient_token(token, keyring=NEW, now=NOW) for token in tokens]
    # then: and they still are account tokens
    assert read == [None] * len(tokens)
    assert all(read_token(token, keyring=NEW, now=NOW) is not None for token in tokens)


def test_a_rotated_key_keeps_patient_tokens_while_it_is_listed() -> None:
    # given a token made by the key that is now previous
    token = patient(OLD)
    # when the key is previous, then dropped
    listed = read_patient_token(token, keyring=NEW, now=NOW)
    dropped = read_patient_token(token, keyring=Keyring.of("a new key " * 4), now=NOW)
    # then
    assert (listed, dropped) == (PHONE, None)
    assert read_patient_token(patient(NEW), keyring=NEW, now=NOW) == PHONE


def test_a_tampered_or_foreign_token_is_nothing() -> None:
    # given
    token = patient()
    head, body, signature = token.split(".")
    tampered = f"{head}.{body}.{signature[:-2]}AA"
    other_server = patient(Keyring.of("somebody else's key " * 3))
    # when / then
    for bad in (tampered, other_server, "not.a.token", ""):
        assert read_patient_token(bad, keyring=OLD, now=NOW) is None
