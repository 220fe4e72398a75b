"""Calendar feeds' per-token state: the request budget and when the feed's content last changed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base


class CalendarFeedState(Base):
    """One row per feed token that has been fetched (a doctor's feed or a patient's .ics).

    Keyed by a SHA-256 of the token, never the token itself. ``etag`` and ``changed_at``
    give Last-Modified the instant the content last changed, which no table can say by
    itself (a deleted vacation leaves no timestamp behind, and the window moves daily).
    """

    __tablename__ = "calendar_feed_states"
    __table_args__ = (CheckConstraint("requests >= 0", name="requests_not_negative"),)

    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    requests: Mapped[int] = mapped_column(Integer)
    etag: Mapped[str | None] = mapped_column(String(64))
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
