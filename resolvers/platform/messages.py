"""What the outbox texts patients: named templates, and one function that fills them.

Doctors' free text (their name, the clinic, the address, a reason) reaches patients'
phones. ``fill`` bounds each such slot to a length the template allows and strips
anything that looks like a link, so an SMS from MediMyth never carries a doctor's
URL (a phishing vector with the service's name on it) and never runs to pages.
Values the server makes (ids, queue numbers, dates) go in as they are.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from resolvers.platform.text import single_line

# The longest reason a doctor (or a patient cancelling) may give for a cancellation or a
# vacation: one SMS segment's worth.
MAX_REASON = 160
# Three ASCII dots, not "…": that character is outside the GSM 7-bit alphabet, and one
# of it would make the whole SMS UCS-2 (70 characters a segment instead of 160).
ELLIPSIS = "..."
# How much of a typed text is read, in multiples of what its slot keeps (see free_text).
_READ_AHEAD = 4

# Slots that hold what people typed, and the most of each a message carries. The reason
# slot leaves room for the words the server puts around a doctor's reason (a vacation's).
FREE_TEXT_LIMITS = {
    "doctor": 60,
    "place": 60,
    "address": 100,
    "reason": MAX_REASON + 40,
    "notice": 100,
}

# Links: with a scheme or "www.", or a bare domain ending in a common top-level domain
# or a two-letter country code (bit.ly/x, pay-here.top, help@clinic.in). Not any
# "a.b": initials such as "Dr.S.K.De" or "St.Mary" must survive, so a one-letter name
# before the top-level domain counts only with a path after it (t.co/x).
_TLDS = (
    "com|net|org|info|biz|xyz|top|site|online|app|link|click|shop|store|live|club|icu"
    "|buzz|page|dev|cloud|tech|work|fun|space|website|pro|mobi|asia|today|life|world"
    "|email|help|support|win|bid|loan|download|stream|vip|[a-z]{2}"
)
_LINK = re.compile(
    r"""
      (?:https?://|www\.)\S+                               # with a scheme, or www.
    | (?:[^\s@]{1,64}@)?                                   # an e-mail's local part
      \b(?:[a-z0-9-]{1,63}\.)*                             # subdomains
      (?:[a-z0-9][a-z0-9-]*[a-z0-9]\.(?:TLDS)\b(?:[/?#:]\S*)?  # name.tld, any path
       | [a-z0-9]\.(?:TLDS)[/?#:]\S*)                      # x.co needs its path
    """.replace("TLDS", _TLDS),
    re.IGNORECASE | re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Template:
    """A message with ``{slot}`` placeholders; ``name`` says which one it is in logs and tests."""

    name: str
    text: str

    @property
    def slots(self) -> frozenset[str]:
        return frozenset(
            field for _, field, _, _ in string.Formatter().parse(self.text) if field is not None
        )


# A session as patients read it; filled first, then put into the messages below.
SESSION = Template("session", "{doctor} at {place}, {address}, on {day} at {start}")
BOOKED = Template("booked", "Booked: {public_id}, queue #{queue_number}, with {session}.")
# The evening before (or at once when booked later): resolvers/messaging/reminders.py.
REMINDER = Template("reminder", "Reminder: {public_id}, queue #{queue_number}, with {session}.")
# A waitlist entry booked into a freed seat: its manage token now manages the booking.
PROMOTED = Template(
    "promoted",
    "A seat freed up: waitlist {entry_id} is now booked as {public_id}, queue #{queue_number},"
    " with {session}.",
)
WAITLISTED = Template(
    "waitlisted",
    "Waitlist {entry_id}: you are #{position} in line for {session}. We text you if a seat"
    " frees up.",
)
WAITLIST_EXPIRED = Template(
    "waitlist_expired",
    "Waitlist {entry_id}: booking has closed for {session} and no seat freed up for you.",
)
SESSION_CHANGED = Template(
    "session_changed",
    "Changed: your appointment {public_id} (queue #{queue_number}) is now with {session}.",
)
RESCHEDULED = Template(
    "rescheduled",
    "Moved: {previous_id} is now {public_id}, queue #{queue_number}, with {session}.",
)
CANCELLED_BY_PATIENT = Template(
    "cancelled_by_patient",
    "You cancelled appointment {public_id} (queue #{queue_number}) with {session}.",
)
CANCELLED_BY_PATIENT_WITH_REASON = Template(
    "cancelled_by_patient_with_reason",
    "You cancelled appointment {public_id} (queue #{queue_number}) with {session}."
    " Reason: {reason}",
)
CANCELLED_BY_DOCTOR = Template(
    "cancelled_by_doctor",
    "The doctor cancelled appointment {public_id} (queue #{queue_number}) with {session}.",
)
CANCELLED_BY_DOCTOR_WITH_REASON = Template(
    "cancelled_by_doctor_with_reason",
    "The doctor cancelled appointment {public_id} (queue #{queue_number}) with {session}."
    " Reason: {reason}",
)
# The session day (resolvers/live): each at most once per appointment and reason.
SESSION_STARTED = Template(
    "session_started",
    "Started: {session} is under way. Your appointment {public_id} is queue #{queue_number}.",
)
DELAYED = Template(
    "delayed",
    "Running late: {session} is about {minutes} minutes behind. Your appointment {public_id} "
    "keeps queue #{queue_number}.",
)
DELAYED_WITH_NOTICE = Template(
    "delayed_with_notice",
    "Running late: {session} is about {minutes} minutes behind ({notice}). Your appointment "
    "{public_id} keeps queue #{queue_number}.",
)
BACK_ON_TIME = Template(
    "back_on_time",
    "On time again: {session} is no longer delayed. Your appointment {public_id} is queue "
    "#{queue_number}.",
)
THIRD_IN_LINE = Template(
    "third_in_line",
    "Almost your turn: queue #{queue_number} ({public_id}) at {place}, {ahead} ahead of you.",
)
# Not an SMS by itself: the reason stored on each appointment a vacation cancels.
ON_VACATION = Template("on_vacation", "The doctor is on vacation.")
ON_VACATION_WITH_REASON = Template(
    "on_vacation_with_reason", "The doctor is on vacation: {reason}."
)


def strip_links(text: str) -> str:
    """``text`` without anything that looks like a link, whitespace tidied."""
    return single_line(_LINK.sub(" ", text))


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters; a cut one ends in an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def free_text(raw: str, limit: int) -> str:
    """Typed text fit for a patient's message: one line, no links, at most ``limit``.

    Only the first few times ``limit`` characters are read: the link pattern costs
    time with the square of a long unbroken run, and the rest would be cut anyway.
    """
    return truncate(strip_links(raw[: limit * _READ_AHEAD]), limit)


def clean_reason(raw: str | None) -> str | None:
    """A typed reason as it is stored and sent: no links, at most MAX_REASON; None if blank.

    For the mutations that cannot answer ValidationFailed: a longer reason is cut.
    """
    return free_text(raw or "", MAX_REASON) or None


def fill(template: Template, **values: str | int) -> str:
    """The template's text with every slot filled; free-text slots bounded and link-free."""
    if set(values) != template.slots:
        raise ValueError(f"{template.name} needs {sorted(template.slots)}, got {sorted(values)}")
    filled = {
        slot: free_text(str(value), FREE_TEXT_LIMITS[slot])
        if slot in FREE_TEXT_LIMITS
        else str(value)
        for slot, value in values.items()
    }
    return template.text.format(**filled)
