"""Waitlist manage tokens: made like appointments', kept by the booking a promotion makes."""

from __future__ import annotations

from datetime import date

from db.models import Appointment, WaitlistEntry
from resolvers.booking.manage_tokens import (
    derive_entry_token,
    derive_token,
    hash_token,
    promoted_salt,
    token_matches,
)
from resolvers.platform.keys import Key, Keyring
from resolvers.waitlist.tokens import entry_token_matches, parse_entry_id

OLD = Key.of("o" * 40)
NEW = Key.of("n" * 40)
SALT = "a-random-salt"


def entry_with_token(key: Key) -> tuple[WaitlistEntry, str]:
    token = derive_entry_token(key=key, entry_id=7, salt=SALT)
    entry = WaitlistEntry(id=7, manage_token_salt=SALT, manage_token_hash=hash_token(token))
    return entry, token


def promoted_from(entry: WaitlistEntry) -> Appointment:
    """The booking a promotion makes of the entry (resolvers/booking/promotion.py)."""
    return Appointment(
        id=42,
        session_date=date(2026, 12, 3),
        manage_token_hash=entry.manage_token_hash,
        manage_token_salt=promoted_salt(entry_id=entry.id, salt=entry.manage_token_salt),
    )


def test_the_entrys_token_opens_the_entry_and_its_booking_while_its_key_is_listed() -> None:
    # given an entry whose token the old key made, promoted into a booking
    entry, token = entry_with_token(OLD)
    appointment = promoted_from(entry)
    # when the key is rotated out to previous, then dropped
    rotated, dropped = Keyring((NEW, OLD)), Keyring((NEW,))
    # then the token works while the old key is listed, and nowhere once it is gone
    assert entry_token_matches(token, entry=entry, keyring=rotated)
    assert token_matches(token, appointment=appointment, keyring=rotated)
    assert not entry_token_matches(token, entry=entry, keyring=dropped)
    assert not token_matches(token, appointment=appointment, keyring=dropped)


def test_an_entry_token_and_an_appointment_token_never_stand_for_each_other() -> None:
    # given the same id and salt used for an entry and for an appointment
    keyring = Keyring((NEW,))
    entry_token = derive_entry_token(key=NEW, entry_id=7, salt=SALT)
    appointment_token = derive_token(key=NEW, appointment_id=7, salt=SALT)
    appointment = Appointment(
        id=7, manage_token_salt=SALT, manage_token_hash=hash_token(appointment_token)
    )
    entry, _ = entry_with_token(NEW)
    # then each opens only its own
    assert entry_token != appointment_token
    assert not token_matches(entry_token, appointment=appointment, keyring=keyring)
    assert not entry_token_matches(appointment_token, entry=entry, keyring=keyring)


def test_public_ids_are_mmw_numbers_only() -> None:
    assert parse_entry_id(" mmw-12 ") == 12
    assert [parse_entry_id(raw) for raw in ("MMA-12", "MMW-", "MMW-³", "MMW-1x")] == [None] * 4
