"""The side-by-side's servers: MediMyth as the Procfile serves it, and PostGraphile from bench/peer.

Each runs in a session of its own on 127.0.0.1 and is stopped when its block ends,
also on errors, Ctrl-C and SIGTERM: SIGTERM, a wait, then SIGKILL to the whole
process group, so no worker outlives the bench.
"""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from urllib.parse import quote

import asyncpg
import uvloop

from bench.floor import asyncpg_dsn

ROOT = Path(__file__).resolve().parent.parent
PEER_DIR = ROOT / "bench" / "peer"
HOST = "127.0.0.1"


def require_free(port: int) -> None:
    """Fail with a clear message when something already listens on the port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers bind: a previous run's connections in TIME_WAIT do not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as error:
            raise SystemExit(
                f"port {HOST}:{port} is taken ({error.strerror}); stop whatever listens there "
                "(`ss -ltnp` names it) or pass other ports with --ports"
            ) from None


def post(port: int, body: bytes) -> tuple[int, bytes, dict[str, str]]:
    """One POST /graphql on its own connection: status, body, headers (lower-case names)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("POST", "/graphql", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, response.read(), headers
    finally:
        connection.close()


async def _backend_pids(url: str) -> list[int]:
    dsn, kwargs = asyncpg_dsn(url)
    db = await asyncpg.connect(dsn, **kwargs)
    try:
        rows = await db.fetch(
            """SELECT pid FROM pg_stat_activity
               WHERE datname = current_database() AND backend_type = 'client backend'
                 AND pid <> pg_backend_pid()"""
        )
    finally:
        await db.close()
    return [row["pid"] for row in rows]


def _is_postgres(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/comm") as comm:
            return comm.read().startswith("postgres")
    except OSError:
        return False


def backends(url: str) -> list[int]:
    """The bench database's client backends, when they are processes of this machine.

    A remote server's pids mean nothing here: then none, and no database CPU is shown.
    """
    return [pid for pid in uvloop.run(_backend_pids(url)) if _is_postgres(pid)]


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=25)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # whatever of its group is left
    process.wait()


@contextmanager
def _serving(
    name: str, command: list[str], *, cwd: Path, env: dict[str, str], port: int, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    require_free(port)
    log.parent.mkdir(exist_ok=True)
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"{name} exited with {process.returncode}; see {log}")
                try:
                    # Ready when it answers, not when it listens: PostGraphile builds its
                    # schema after binding, gunicorn's workers boot after the master binds.
                    if post(port, b'{"query": "{ __typename }"}')[0] == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"{name} did not answer on {HOST}:{port}; see {log}")
                time.sleep(0.2)
            yield process
        finally:
            _stop(process)


def medimyth(
    url: str,
    *,
    port: int,
    workers: int,
    target: str = "app:app",
    extra_env: dict[str, str] | None = None,
) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """gunicorn TARGET -c gunicorn.conf.py, production settings with a random SECRET_KEY."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ENVIRONMENT": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "WEB_CONCURRENCY": str(workers),
        "BIND": f"{HOST}:{port}",
        "LOG_LEVEL": "warning",
        # 16 clients on one address are far past a client's budget: the bench measures
        # the server's work, so the budgets are off (as in bench/run.py).
        "REQUEST_BUDGET_PER_ADDRESS": "0",
        "REQUEST_BUDGET_PER_ACCOUNT": "0",
        **(extra_env or {}),
    }
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), target, "-c", "gunicorn.conf.py"]
    log = ROOT / "artifacts" / f"bench-peer-medimyth-{port}.log"
    return _serving(f"gunicorn {target}", command, cwd=ROOT, env=env, port=port, log=log)


def node_url(url: str) -> str:
    """A libpq-style URL for node-postgres; an embedded server's socket stays host=."""
    dsn, kwargs = asyncpg_dsn(url)
    host = kwargs.get("host")
    return f"{dsn}?host={quote(host, safe='/')}" if host else dsn


def postgraphile(url: str, *, port: int) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """One Node 22 process (the `node` package's binary) running PostGraphile's CLI."""
    env = {
        **os.environ,
        "NODE_ENV": "production",
        "PEER_DATABASE_URL": node_url(url),
        "PEER_HOST": HOST,
        "PEER_PORT": str(port),
    }
    node = PEER_DIR / "node_modules" / ".bin" / "node"
    cli = PEER_DIR / "node_modules" / "postgraphile" / "dist" / "cli-run.js"
    command = [str(node), str(cli), "-C", "graphile.config.mjs"]
    log = ROOT / "artifacts" / "bench-peer-postgraphile.log"
    return _serving("PostGraphile", command, cwd=PEER_DIR, env=env, port=port, log=log)
