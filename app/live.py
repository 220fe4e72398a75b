"""The worker's live hub: LISTEN/NOTIFY where it works, else a poll; made in the lifespan."""

from __future__ import annotations

import logging

from app.response_cache import ResponseCache
from db.listener import PostgresListener, listen_dsn
from resolvers.platform.changes import CHANNEL
from resolvers.platform.hub import Changes, Hub, Polling
from schema.platform.cache_policy import CATALOGUE_CHANNEL
from settings import Settings

logger = logging.getLogger("medimyth.live")


def changes_for(settings: Settings) -> Changes:
    """A dedicated LISTEN connection; a poll behind a transaction pooler (no LIVE_LISTEN_URL)."""
    found = listen_dsn(settings)
    if found is None:
        logger.info(
            "live updates: polling every %gs (DB_POOL_MODE=transaction and no LIVE_LISTEN_URL)",
            settings.live_poll_seconds,
        )
        return Polling(settings.live_poll_seconds)
    dsn, kwargs = found
    return PostgresListener(dsn, kwargs, channel=CHANNEL)


def reread_limit(settings: Settings) -> int:
    """Slots for the re-reads nobody announced: half the pool, the rest left for requests."""
    return max(1, settings.db_pool_size // 2)


def build_hub(settings: Settings) -> Hub:
    return Hub(
        changes_for(settings),
        resync_seconds=settings.live_resync_seconds,
        reread_limit=reread_limit(settings),
    )


def hear_catalogue(hub: Hub, cache: ResponseCache) -> None:
    """The cache hears catalogue changes on the hub's connection; deaf (unused) when polling."""
    changes = hub.changes
    if isinstance(changes, PostgresListener):
        changes.also_hear(CATALOGUE_CHANNEL, cache.heard)
        cache.listening = lambda: changes.listening
    else:
        logger.info("response cache: off (no LISTEN connection to hear catalogue changes)")
