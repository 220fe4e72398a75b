"""Calendar feeds' mutation results: a rotated feed's new URL."""

from __future__ import annotations

import strawberry

from resolvers.feeds import rotate
from schema.platform.results import answers, union_of


@answers(rotate.CalendarFeedRotated)
@strawberry.type(description="A new feed URL; the old one stopped working at once.")
class CalendarFeedRotated:
    calendar_feed_url: str


RotateCalendarFeedResult = union_of("RotateCalendarFeedResult", rotate.RotateResult)
