"""Calendar feeds' root mutations: a doctor replaces their feed's secret URL."""

from __future__ import annotations

import strawberry

from resolvers.feeds import rotate
from schema.feeds.results import RotateCalendarFeedResult
from schema.platform.context import Info
from schema.platform.links import public_base_url
from schema.platform.results import answer


@strawberry.type
class FeedsMutation:
    @strawberry.mutation(
        description="A new private calendar feed URL for the signed-in doctor; the old one "
        "answers 404 from now on (calendar apps subscribed to it must subscribe again)."
    )
    async def rotate_calendar_feed(self, info: Info) -> RotateCalendarFeedResult:
        ctx = info.context
        doctor = await ctx.require_doctor()
        return answer(
            await ctx.call(
                rotate.rotate_calendar_feed,
                doctor=doctor,
                base_url=public_base_url(info),
                now=ctx.clock.now(),
            )
        )
