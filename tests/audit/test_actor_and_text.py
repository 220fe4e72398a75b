"""What an event keeps of its request and of free text: a real address or none, no phones."""

from __future__ import annotations

import pytest

from db.enums import ActorKind
from resolvers.audit.trail import MAX_TEXT_LENGTH, safe_text
from resolvers.platform.audit import Actor


@pytest.mark.parametrize(
    ("seen", "kept"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:DB8::1", "2001:db8::1"),
        ("testclient", None),  # Starlette's TestClient, or a proxy's placeholder
        ("unknown", None),
        (None, None),
    ],
)
def test_an_actor_keeps_the_client_address_only_when_it_is_one(
    seen: str | None, kept: str | None
) -> None:
    # when
    actor = Actor.anonymous(client_address=seen, request_id="r-123456789")
    # then
    assert (actor.kind, actor.account_id, actor.client_address) == (
        ActorKind.ANONYMOUS,
        None,
        kept,
    )


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("Clinic closed", "Clinic closed"),
        ("call +91 98300 12345 or 033-2233-4455", "call [number] or [number]"),
        ("room 12, 2nd floor", "room 12, 2nd floor"),  # short numbers stay
        ("   ", None),
        (None, None),
    ],
)
def test_free_text_in_the_trail_masks_phone_like_numbers(raw: str | None, kept: str | None) -> None:
    assert safe_text(raw) == kept


def test_free_text_in_the_trail_is_cut_short() -> None:
    assert safe_text("x" * 500) == "x" * MAX_TEXT_LENGTH
