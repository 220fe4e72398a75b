"""A real gunicorn server on 127.0.0.1 over the test database, with demo data, for the browser."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from db.seed import seed_demo
from resolvers.accounts.passwords import hash_password

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
async def demo_data(session: AsyncSession) -> None:
    """The demo seed, so the explorer's first tab has categories to show."""
    await seed_demo(
        session,
        password_hash=hash_password("demo password 1"),
        time_zone="Asia/Kolkata",
        today=date(2026, 12, 1),
    )
    await session.commit()


@pytest.fixture
def live_server(database_url: str, demo_data: None) -> Iterator[str]:
    """gunicorn app:app with one Uvicorn worker, as `make run` serves it; its log goes to artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if key != "TEST_DATABASE_URL"}
    env.update(
        DATABASE_URL=database_url,
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        LOG_LEVEL="warning",
    )
    log_path = ARTIFACTS / "graphiql-server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "app:app", "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    origin = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(origin, server, log_path)
        yield origin
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_until_ready(origin: str, server: subprocess.Popen[bytes], log_path: Path) -> None:
    # Bounded: a loaded 2-core machine may take a while to boot gunicorn, never forever.
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the server exited with {server.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{origin}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    pytest.fail(f"the server did not become ready:\n{log_path.read_text()}")
