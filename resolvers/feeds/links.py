"""The absolute URLs of feeds: a doctor's subscription URL and a patient's .ics link."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from resolvers.feeds.tokens import appointment_signature
from resolvers.platform.keys import Key

DOCTOR_FEED_PATH = "/calendar/doctors/{token}.ics"
APPOINTMENT_PATH = "/calendar/appointments/{public_id}.ics"


def doctor_feed_url(*, base_url: str, token: str) -> str:
    return base_url + DOCTOR_FEED_PATH.format(token=token)


def appointment_calendar_url(
    *, base_url: str, key: Key, appointment_id: int, public_id: str, created_at: datetime
) -> str:
    sig = appointment_signature(key=key, appointment_id=appointment_id, created_at=created_at)
    return base_url + APPOINTMENT_PATH.format(public_id=public_id) + "?sig=" + quote(sig)
