"""The worker's LISTEN connection: one dedicated asyncpg connection, never one from the pool.

A pooled connection goes back to the pool (and, behind a transaction pooler, to
another client) between requests, and its LISTEN with it; so the listener owns its
connection for its whole life. When the connection drops (PostgreSQL restarting, a
network fault) it reconnects with exponential backoff and jitter, and says it may
have missed changes, so every watched session is read again.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from settings import Settings

logger = logging.getLogger("medimyth.live")

FIRST_BACKOFF_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 10.0
CONNECT_TIMEOUT_SECONDS = 5.0
# A connection that dies without a FIN (a cable, a NAT table) is noticed by a probe.
PROBE_EVERY_SECONDS = 10.0
APPLICATION_NAME = "medimyth-live"


def listen_dsn(settings: Settings) -> tuple[str, dict[str, Any]] | None:
    """asyncpg.connect arguments for the listening connection; None when LISTEN cannot work."""
    if not settings.live_listens:
        return None
    url = settings.live_listen_url or settings.database_url
    if url is None:
        return None
    parsed = make_url(url)
    kwargs: dict[str, Any] = {
        # Nothing is prepared twice here; and a session pooler may move us between servers.
        "statement_cache_size": 0,
        "server_settings": {"application_name": APPLICATION_NAME},
        "timeout": CONNECT_TIMEOUT_SECONDS,
    }
    host = parsed.query.get("host")
    if isinstance(host, str):
        kwargs["host"] = host  # a Unix socket directory (embedded PostgreSQL)
    plain = parsed.set(drivername="postgresql", query={})
    return plain.render_as_string(hide_password=False), kwargs


class PostgresListener:
    """LISTENs on one channel and hands each payload to ``heard``; None after each (re)connect.

    Other channels may share the connection (``also_hear``, before ``follow`` starts):
    one listening connection per worker, whatever hears it.
    """

    def __init__(self, dsn: str, kwargs: dict[str, Any], *, channel: str) -> None:
        self.dsn = dsn
        self.kwargs = kwargs
        self.channel = channel
        self.listening = False
        self.reconnects = 0
        self._also: dict[str, Callable[[str | None], None]] = {}

    def also_hear(self, channel: str, heard: Callable[[str | None], None]) -> None:
        """Hand this channel's payloads to ``heard`` too; None after each (re)connect."""
        self._also[channel] = heard

    async def follow(self, heard: Callable[[str | None], None]) -> None:
        backoff = FIRST_BACKOFF_SECONDS
        failing = False
        while True:
            try:
                connection = await asyncpg.connect(self.dsn, **self.kwargs)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
                if not failing:
                    logger.warning(
                        "live updates: cannot LISTEN (%s); retrying", type(error).__name__
                    )
                    failing = True
                await asyncio.sleep(backoff * random.uniform(0.5, 1.0))  # jitter: workers apart
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            try:
                await self._listen(connection, heard, reconnected=failing)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                pass  # the connection is gone: connect again
            finally:
                self.listening = False
                connection.terminate()
            logger.warning("live updates: the LISTEN connection dropped; reconnecting")
            failing = True
            backoff = FIRST_BACKOFF_SECONDS

    async def _listen(
        self,
        connection: asyncpg.Connection,
        heard: Callable[[str | None], None],
        *,
        reconnected: bool,
    ) -> None:
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        await connection.add_listener(
            self.channel, lambda _connection, _pid, _channel, payload: heard(payload)
        )
        for channel, also in self._also.items():
            await connection.add_listener(channel, _handing_to(also))
        self.listening = True
        if reconnected:
            self.reconnects += 1
            logger.info("live updates: listening again")
        # Whatever committed while nobody listened: every watched session is read again,
        # and every other hearer starts over.
        heard(None)
        for also in self._also.values():
            also(None)
        while not lost.is_set():
            try:
                await asyncio.wait_for(lost.wait(), PROBE_EVERY_SECONDS)
            except TimeoutError:
                await connection.fetchval("SELECT 1", timeout=CONNECT_TIMEOUT_SECONDS)


def _handing_to(heard: Callable[[str | None], None]) -> Callable[[Any, int, str, str], None]:
    return lambda _connection, _pid, _channel, payload: heard(payload)
