"""Drill tools: a real gunicorn on 127.0.0.1, a bounded load generator, connection counts."""

from __future__ import annotations

import asyncio
import os
import runpy
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from tests import database as testdb
from tests.operations import operation

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"


def graceful_timeout() -> int:
    """gunicorn.conf.py's graceful_timeout: read when a drill needs it, not at collection."""
    value: int = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["graceful_timeout"]
    return value


# The frontend's category list: small, and it needs the database on every call.
CATEGORIES: dict[str, Any] = {"query": operation("Categories"), "operationName": "Categories"}
# Every wait below has an end, so a drill never hangs a CI run.
BOOT_SECONDS = 90.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    """One gunicorn master (app:app, gunicorn.conf.py) with its log file."""

    process: subprocess.Popen[bytes]
    origin: str
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def workers(self) -> list[int]:
        """The master's live child processes (its Uvicorn workers)."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        try:
            return sorted(int(pid) for pid in children.read_text().split())
        except FileNotFoundError:
            return []

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not gone within the graceful timeout and a margin."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=graceful_timeout() + 10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_gunicorn(
    name: str,
    database_url: str,
    *,
    workers: int = 2,
    env: Mapping[str, str] | None = None,
    log_prefix: str = "drill-",
) -> Server:
    """gunicorn app:app as the Procfile runs it, bound to a free port on 127.0.0.1."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    # The drills talk straight to their private cluster, whatever the suite was pointed at.
    skipped = {"TEST_DATABASE_URL", "DB_POOL_MODE", "DATABASE_URL", "MIGRATIONS_DATABASE_URL"}
    environment = {key: value for key, value in os.environ.items() if key not in skipped}
    environment.update(
        DATABASE_URL=database_url,
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY=str(workers),
        LOG_LEVEL="info",
        # The drills' and the fuzzer's load comes from one address, far past a client's
        # budget: what they measure is the server under that load, not the budget.
        REQUEST_BUDGET_PER_ADDRESS="0",
        REQUEST_BUDGET_PER_ACCOUNT="0",
    )
    environment.update(env or {})
    log_path = ARTIFACTS / f"{log_prefix}{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "app:app", "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return Server(process=process, origin=f"http://127.0.0.1:{port}", log_path=log_path)


async def wait_for(
    server: Server, path: str, status: int, *, within: float = BOOT_SECONDS
) -> float:
    """Poll GET path until it answers status; return the seconds it took."""
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=server.origin, timeout=5) as client:
        while time.monotonic() - started < within:
            if server.process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {server.process.returncode}")
            try:
                if (await client.get(path)).status_code == status:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError(f"{path} did not answer {status} within {within} s:\n{server.log()}")


async def wait_for_workers(server: Server, count: int, *, without: set[int]) -> list[int]:
    """Wait until the master has count workers, none of them in without; return their pids."""
    deadline = time.monotonic() + BOOT_SECONDS
    while time.monotonic() < deadline:
        workers = server.workers()
        if len(workers) == count and not without & set(workers):
            return workers
        await asyncio.sleep(0.1)
    raise AssertionError(f"workers were not replaced: {server.workers()}\n{server.log()}")


@dataclass(frozen=True)
class Outcome:
    """One request of a load run: when it ran and how it ended."""

    started: float
    ended: float
    status: int | None = None
    code: str | None = None
    transport_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.code is None and self.transport_error is None

    @property
    def clean(self) -> bool:
        """Answered, with data or with a coded GraphQL error: what a client can handle."""
        return self.status == 200 and self.transport_error is None


def _first_code(body: Any) -> str | None:
    if isinstance(body, dict) and body.get("errors"):
        code = body["errors"][0].get("extensions", {}).get("code")
        return str(code) if code else "UNCODED"
    return None


async def run_load(
    origin: str,
    *,
    clients: int,
    seconds: float,
    max_requests: int,
    body: dict[str, Any] | None = None,
    stop: asyncio.Event | None = None,
) -> list[Outcome]:
    """clients concurrent loops posting body until seconds pass, max_requests are sent or stop."""
    outcomes: list[Outcome] = []
    deadline = time.monotonic() + seconds
    sent = 0
    payload = body or CATEGORIES

    async def loop(client: httpx.AsyncClient) -> None:
        nonlocal sent
        while time.monotonic() < deadline and sent < max_requests:
            if stop is not None and stop.is_set():
                return
            sent += 1
            started = time.monotonic()
            try:
                response = await client.post("/graphql", json=payload)
            except httpx.TransportError as error:
                outcomes.append(Outcome(started, time.monotonic(), transport_error=repr(error)))
                # A refused connection fails at once; do not spin on it.
                await asyncio.sleep(0.05)
                continue
            code = _first_code(response.json()) if response.status_code == 200 else None
            outcomes.append(Outcome(started, time.monotonic(), response.status_code, code))

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=origin, timeout=30, limits=limits) as client:
        await asyncio.gather(*(loop(client) for _ in range(clients)))
    return outcomes


async def client_backends(url: str) -> int:
    """Client connections to url's database, this one left out."""
    dsn, kwargs = testdb.asyncpg_dsn(url)
    connection = await asyncpg.connect(dsn, **kwargs)
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND backend_type = 'client backend'"
            " AND pid <> pg_backend_pid()"
        )
    finally:
        await connection.close()
    return count


def record(name: str, **numbers: object) -> None:
    """Append the drill's observations to artifacts/drills.log (the README quotes them)."""
    ARTIFACTS.mkdir(exist_ok=True)
    line = f"{name}: " + ", ".join(f"{key}={value}" for key, value in numbers.items())
    with (ARTIFACTS / "drills.log").open("a") as log:
        log.write(line + "\n")
    print(line)
