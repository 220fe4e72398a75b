"""The calendar feed routes: plain GETs answered with text/calendar (logic in resolvers/feeds)."""

from __future__ import annotations

import re
from datetime import UTC
from email.utils import format_datetime

from starlette.requests import Request
from starlette.responses import Response

from db.session import Database
from resolvers.feeds import serve
from resolvers.feeds.links import APPOINTMENT_PATH, DOCTOR_FEED_PATH
from resolvers.feeds.state import FeedLimited
from resolvers.platform.clock import Clock
from resolvers.platform.keys import keyring_of
from schema.platform.view import refusal
from settings import Settings

# Starlette's path templates are the links' own: a route and a link cannot drift apart.
DOCTOR_FEED_ROUTE = DOCTOR_FEED_PATH
APPOINTMENT_ROUTE = APPOINTMENT_PATH
MEDIA_TYPE = "text/calendar; charset=utf-8"
# Clients may keep a copy but must ask again (a 304 is cheap); shared caches keep none.
CACHE_CONTROL = "private, no-cache"
_TOKEN_IN_PATH = re.compile(r"^/calendar/doctors/[^/]+\.ics$")


def loggable_path(path: str) -> str:
    """The path as the request log may show it: a feed's secret token is left out."""
    return "/calendar/doctors/<token>.ics" if _TOKEN_IN_PATH.match(path) else path


async def doctor_feed(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    clock: Clock = request.app.state.clock
    db = _database(request).request_session()
    try:
        found = await serve.doctor_feed(
            db,
            token=request.path_params["token"],
            now=clock.now(),
            requests_per_hour=settings.calendar_feed_requests_per_hour,
        )
    finally:
        await db.close()
    return _response(request, found, disposition="inline")


async def appointment_calendar(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    clock: Clock = request.app.state.clock
    db = _database(request).request_session()
    try:
        found = await serve.appointment_calendar(
            db,
            public_id=request.path_params["public_id"],
            signature=request.query_params.get("sig", ""),
            keyring=keyring_of(settings),
            now=clock.now(),
            requests_per_hour=settings.calendar_feed_requests_per_hour,
        )
    finally:
        await db.close()
    # A download: a phone offers to add the event to its calendar.
    return _response(request, found, disposition="attachment")


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def _response(request: Request, found: serve.FeedAnswer, *, disposition: str) -> Response:
    if isinstance(found, serve.FeedMissing):
        return refusal(404, "No calendar at this address.", "NOT_FOUND")
    if isinstance(found, FeedLimited):
        answer = refusal(
            429, "Too many requests for this calendar; try again later.", "RATE_LIMITED"
        )
        answer.headers["Retry-After"] = str(found.retry_after)
        return answer
    headers = {
        "ETag": found.etag,
        "Last-Modified": format_datetime(
            found.last_modified.astimezone(UTC).replace(microsecond=0), usegmt=True
        ),
        "Cache-Control": CACHE_CONTROL,
    }
    fresh = found.is_fresh(
        if_none_match=request.headers.get("if-none-match"),
        if_modified_since=request.headers.get("if-modified-since"),
    )
    if fresh:
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = f'{disposition}; filename="{found.filename}"'
    return Response(found.body, headers=headers, media_type=MEDIA_TYPE)
