"""The session manager: one engine per process, one guarded AsyncSession per request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from db.outage import database_connected
from db.pool_watch import PoolWatch, WatchedPool, watch_pool
from db.stats import record_statement
from settings import PoolMode, Settings


def engine_options(settings: Settings) -> tuple[str, dict[str, Any]]:
    """The URL and create_async_engine keyword arguments for the configured pool mode."""
    if settings.database_url is None:
        raise RuntimeError("DATABASE_URL is not set (the launcher sets it for embedded PostgreSQL)")
    url = make_url(settings.database_url)
    connect_args: dict[str, Any] = {}
    options: dict[str, Any] = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout,
        # A connection killed by a database restart is noticed at checkout, not by a
        # user: see _refuse_closed, which does it without pool_pre_ping's round trip.
        "pool_pre_ping": False,
    }
    if settings.db_pool_mode is PoolMode.TRANSACTION:
        # A transaction pooler hands each transaction to any server connection, so a
        # statement prepared on one is unknown on the next: turn off both caches
        # (SQLAlchemy's and asyncpg's). asyncpg >= 0.31 then uses unnamed statements.
        url = url.update_query_dict({"prepared_statement_cache_size": "0"})
        connect_args["statement_cache_size"] = 0
    if settings.db_pool_mode is not PoolMode.DIRECT:
        # Poolers close idle client connections; recycle ours before they do.
        options["pool_recycle"] = 300
    options["connect_args"] = connect_args
    return url.render_as_string(hide_password=False), options


_TRANSACTION_SETTINGS = "medimyth.transaction_settings"
# The statement time limit and pg_trgm's threshold (its `<%` and `%>` operators read
# it, which is what lets search use the trigram indexes), set in one statement.
# Directly or through a session pooler, a connection is ours for its life: the
# settings are set once when it opens (is_local = false), and no request pays a
# round trip for them. Through a transaction pooler the server connection goes to
# someone else at COMMIT, and PgBouncer refuses startup parameters: there they are
# set at the start of every transaction, transaction-local (is_local = true).
_SET_LOCALS = text(
    "SELECT set_config('statement_timeout', :statement_timeout, true),"
    " set_config('pg_trgm.word_similarity_threshold', :similarity_threshold, true)"
)
_SET_FOR_CONNECTION = (
    "SELECT set_config('statement_timeout', $1, false),"
    " set_config('pg_trgm.word_similarity_threshold', $2, false)"
)


def is_statement_timeout(error: BaseException) -> bool:
    """PostgreSQL cancelled the statement (SQLSTATE 57014): statement_timeout fired."""
    return isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) == "57014"


def transaction_settings(settings: Settings) -> dict[str, str]:
    return {
        "statement_timeout": str(settings.db_statement_timeout_ms),
        "similarity_threshold": str(settings.search_similarity_threshold),
    }


class GuardedSession(Session):
    """A Session that sets the statement time limit per transaction (transaction pooler only)."""


@event.listens_for(GuardedSession, "after_begin")
def _set_transaction_locals(
    session: Session, _transaction: SessionTransaction, connection: Connection
) -> None:
    params = session.info.get(_TRANSACTION_SETTINGS)
    if params is not None:
        connection.execute(_SET_LOCALS, params)


class ReadOnlySession(Session):
    """A Session for requests that only read: it runs no transaction block, so it refuses writes.

    A write here would commit at once instead of with the request; refusing it turns
    a query that writes into a loud bug rather than half-written data.
    """


class ReadOnlyViolation(RuntimeError):
    """Code serving a read-only request tried to write."""


@event.listens_for(ReadOnlySession, "do_orm_execute")
def _refuse_writes(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnlyViolation("a read-only request tried to write")


@event.listens_for(ReadOnlySession, "before_flush")
def _refuse_flush(session: Session, _context: object, _instances: object) -> None:
    raise ReadOnlyViolation("a read-only request tried to flush changes")


def _connection_settings(params: dict[str, str]) -> Callable[[Any, Any], None]:
    """A pool "connect" hook that sets the settings for the connection's whole life."""
    values = (params["statement_timeout"], params["similarity_threshold"])

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.run_async(
            lambda connection: connection.execute(_SET_FOR_CONNECTION, *values)
        )

    return on_connect


def _refuse_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Pool checkout hook: hand out no connection the server has hung up on.

    When PostgreSQL stops or restarts it closes every session's socket, and asyncpg
    marks the connection closed as soon as the event loop reads that; the pool then
    replaces it (a DisconnectionError here is retried with a fresh connection). This
    is what pool_pre_ping bought, without a round trip on every checkout; a socket
    that dies silently still fails its first statement, and SQLAlchemy then
    invalidates the pool, so the next request reconnects.
    """
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this connection")


class Database:
    """Owns the engine and the session factory. Create it in the app's lifespan, not at import."""

    def __init__(self, settings: Settings, *, pool_watch: PoolWatch | None = None) -> None:
        url, options = engine_options(settings)
        self.settings = settings
        if pool_watch is not None:
            options["poolclass"] = WatchedPool
        self.engine: AsyncEngine = create_async_engine(url, **options)
        event.listen(self.engine.sync_engine, "before_cursor_execute", record_statement)
        event.listen(self.engine.sync_engine, "checkout", _refuse_closed)
        if pool_watch is not None:
            watch_pool(self.engine, pool_watch)
        # A new connection ends any outage the requests have been counting (db/outage.py).
        event.listen(self.engine.sync_engine, "connect", database_connected)
        params = transaction_settings(settings)
        info: dict[str, Any] = {}
        if settings.db_pool_mode is PoolMode.TRANSACTION:
            info[_TRANSACTION_SETTINGS] = params
        else:
            event.listen(self.engine.sync_engine, "connect", _connection_settings(params))
        self.sessionmaker = async_sessionmaker(
            self.engine,
            expire_on_commit=False,
            sync_session_class=GuardedSession,
            info=info,
        )
        # Requests that only read (GraphQL queries) run without a transaction block:
        # under READ COMMITTED every statement takes its own snapshot anyway, so BEGIN
        # and ROLLBACK bought nothing but two round trips. Not behind a transaction
        # pooler, whose per-transaction settings need the block.
        self.read_sessionmaker: async_sessionmaker[AsyncSession] | None = None
        if settings.db_pool_mode is not PoolMode.TRANSACTION:
            self.read_sessionmaker = async_sessionmaker(
                self.engine.execution_options(isolation_level="AUTOCOMMIT"),
                expire_on_commit=False,
                sync_session_class=ReadOnlySession,
            )

    def request_session(self) -> RequestSession:
        return RequestSession(self.sessionmaker, self.read_sessionmaker)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for work outside a request (commands, the worker, tests)."""
        async with self.sessionmaker() as session:
            yield session

    async def ping(self, *, within: float = 2.0) -> bool:
        """True when PostgreSQL answers within the timeout."""
        try:
            async with asyncio.timeout(within), self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()


class RequestSession:
    """One AsyncSession for one request, lent to one coroutine at a time.

    Sibling GraphQL fields and DataLoader batches run concurrently, and an
    AsyncSession must never be used by two coroutines at once. Every user of the
    request's session borrows it through ``use()``, which holds a lock for the
    whole borrow: work interleaves between borrows, never inside one. The session
    is created on first use, so a request that needs no data opens no connection.
    Borrows do not nest: code holding the session must not await a loader.
    """

    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        read_factory: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self._factory = factory
        self._read_factory = read_factory
        self._session: AsyncSession | None = None
        self._lock = asyncio.Lock()

    def only_reads(self) -> None:
        """Declare, before first use, that this request writes nothing (a GraphQL query).

        Its session then runs without a transaction block where the pool mode allows,
        and refuses writes (ReadOnlySession).
        """
        if self._session is None and self._read_factory is not None:
            self._factory = self._read_factory

    @asynccontextmanager
    async def use(self) -> AsyncIterator[AsyncSession]:
        async with self._lock:
            if self._session is None:
                self._session = self._factory()
            yield self._session

    async def close(self) -> None:
        """Roll back anything uncommitted and return the connection to the pool."""
        async with self._lock:
            if self._session is not None:
                await self._session.close()
                self._session = None
