"""Message templates: typed text is bounded and link-free; what the server makes goes in as is."""

from __future__ import annotations

import pytest

from resolvers.platform import messages

SESSION_VALUES = {
    "doctor": "Dr. Asha Rao",
    "place": "Rao Heart Clinic",
    "address": "12 Park Street, Kolkata",
    "day": "Thu 03 Dec 2026",
    "start": "18:00",
}


def test_a_template_fills_every_slot() -> None:
    # when
    session = messages.fill(messages.SESSION, **SESSION_VALUES)
    text = messages.fill(messages.BOOKED, public_id="MMA-7", queue_number=3, session=session)
    # then
    assert text == (
        "Booked: MMA-7, queue #3, with Dr. Asha Rao at Rao Heart Clinic, "
        "12 Park Street, Kolkata, on Thu 03 Dec 2026 at 18:00."
    )


def test_a_missing_or_unknown_slot_is_a_bug() -> None:
    # then
    with pytest.raises(ValueError, match="booked needs"):
        messages.fill(messages.BOOKED, public_id="MMA-7", queue_number=3)
    with pytest.raises(ValueError, match="booked needs"):
        messages.fill(messages.BOOKED, public_id="MMA-7", queue_number=3, session="x", extra="y")


def test_a_60k_reason_is_cut_to_its_slot_with_an_ascii_ellipsis() -> None:
    # given
    reason = "sorry " * 10_000
    # when
    text = messages.fill(
        messages.CANCELLED_BY_DOCTOR_WITH_REASON,
        public_id="MMA-7",
        queue_number=3,
        session=messages.fill(messages.SESSION, **SESSION_VALUES),
        reason=reason,
    )
    # then
    kept = text.split(" Reason: ", 1)[1]
    assert len(kept) <= messages.FREE_TEXT_LIMITS["reason"]
    assert kept.endswith("...")
    assert len(text) < 400
    assert text.isascii()


def test_every_free_text_slot_is_bounded() -> None:
    # given
    long = dict.fromkeys(("doctor", "place", "address"), "x" * 60_000)
    # when
    session = messages.fill(messages.SESSION, **(SESSION_VALUES | long))
    # then
    assert len(session) <= sum(messages.FREE_TEXT_LIMITS[slot] for slot in long) + 40


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("Clinic closed, rebook at https://evil.example/x now", "Clinic closed, rebook at now"),
        ("see www.example.org/a?b=1 for more", "see for more"),
        ("rebook at bit.ly/3xYz today", "rebook at today"),
        ("pay at pay-here.top first", "pay at first"),
        ("write to help@clinic.in", "write to"),
        ("short t.co/abc link", "short link"),
        ("APOLLO.CO.IN branch", "branch"),
    ],
)
def test_links_are_stripped(typed: str, sent: str) -> None:
    # when
    cleaned = messages.strip_links(typed)
    # then
    assert cleaned == sent


@pytest.mark.parametrize(
    "typed", ["Dr.S.K.De is unwell", "St.Mary's Road", "Dr. A.K. Sen", "e.g. fever, i.e. rest"]
)
def test_initials_and_abbreviations_are_not_links(typed: str) -> None:
    # when
    cleaned = messages.strip_links(typed)
    # then
    assert cleaned == typed


def test_a_reason_is_stored_as_it_is_sent() -> None:
    # when
    long = messages.clean_reason("  x  " * 100)
    linked = messages.clean_reason("See https://evil.example")
    blank = messages.clean_reason("  https://evil.example  ")
    # then
    assert long is not None
    assert len(long) == messages.MAX_REASON
    assert long.endswith("...")
    assert linked == "See"
    assert blank is None
