"""Database outages: told apart from bugs, and logged once per outage with a count.

While PostgreSQL is down (stopped, restarting, unreachable), every request that
needs it fails the same way. Each one is a coded ``INTERNAL_SERVER_ERROR`` for the
client, but a traceback per request would bury the log (about 850 of them for three
3.5-second outages): instead the first failure is logged as a warning, the rest are
counted, and when a connection opens again one more warning says how many requests
failed since when. A long outage is reminded of every ``remind_every`` seconds.
Each worker process keeps its own count.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from sqlalchemy.exc import DBAPIError

logger = logging.getLogger("medimyth.database")

UNAVAILABLE_MESSAGE = "The service is temporarily unavailable; try again."

# connection_exception (class 08), and admin_shutdown, crash_shutdown and
# cannot_connect_now ("the database system is starting up / shutting down").
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03"})


def is_database_unavailable(error: BaseException) -> bool:
    """The database could not be reached or went away; not a bug in the request.

    Connection refused, no such socket, a name that does not resolve or a connect
    timeout are OSErrors raised by asyncpg while connecting (SQLAlchemy passes them
    on unwrapped); a connection lost mid-statement is a DBAPIError SQLAlchemy marks
    ``connection_invalidated``; a server starting up or shutting down answers with
    one of the SQLSTATEs above, wrapped or not.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        state = getattr(current, "sqlstate", None)
        if isinstance(state, str) and (state.startswith("08") or state in _UNAVAILABLE_STATES):
            return True
        if isinstance(current, OSError) and _raised_by_the_driver(current.__traceback__):
            return True
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return False


def _raised_by_the_driver(traceback: TracebackType | None) -> bool:
    """The OSError came out of asyncpg (connecting), not out of some other I/O."""
    while traceback is not None:
        if str(traceback.tb_frame.f_globals.get("__name__", "")).startswith("asyncpg."):
            return True
        traceback = traceback.tb_next
    return False


class OutageLog:
    """Counts the requests an unavailable database failed; says so at the start and the end."""

    def __init__(
        self,
        *,
        log: logging.Logger = logger,
        remind_every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.log = log
        self.remind_every = remind_every
        self.clock = clock
        self.wall_clock = wall_clock
        self.failed = 0
        self._began: float | None = None
        self._since = ""
        self._reminded = 0.0

    @property
    def ongoing(self) -> bool:
        return self._began is not None

    def request_failed(self, error: BaseException) -> None:
        """A request failed because the database is unavailable (call once per request)."""
        now = self.clock()
        if self._began is None:
            self._began = self._reminded = now
            self._since = datetime.fromtimestamp(self.wall_clock(), UTC).isoformat(
                timespec="seconds"
            )
            self.failed = 1
            self.log.warning(
                "database unavailable (%s: %s); requests fail until it answers again,"
                " counted rather than logged one by one",
                type(error).__name__,
                _first_line(error),
                extra={"since": self._since},
            )
            return
        self.failed += 1
        if now - self._reminded >= self.remind_every:
            self._reminded = now
            self.log.warning(
                "database unavailable; %d requests failed since %s",
                self.failed,
                self._since,
                extra={"failed_requests": self.failed, "since": self._since},
            )

    def database_answered(self) -> None:
        """A connection to the database opened: any outage is over."""
        if self._began is None:
            return
        seconds = round(self.clock() - self._began, 1)
        self.log.warning(
            "database available again; %d requests failed since %s (%.1f s)",
            self.failed,
            self._since,
            seconds,
            extra={"failed_requests": self.failed, "since": self._since, "outage_seconds": seconds},
        )
        self._began = None
        self.failed = 0


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else "no message"


# One per process: each gunicorn worker counts its own requests.
outage = OutageLog()


def database_connected(_dbapi_connection: Any, _record: Any) -> None:
    """A pool "connect" hook: the database answers again."""
    outage.database_answered()
