"""Ctrl-C on `manage.py run` stops gunicorn, its workers and the outbox worker, quietly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests import database as testdb
from tests.drills.support import ROOT, free_port, graceful_timeout

pytestmark = pytest.mark.slow

# Everything manage.py run does before it serves: migrate, seed, boot two workers.
BOOT_SECONDS = 120


@pytest.fixture
async def fresh_database(database_url: str) -> AsyncIterator[str]:
    url = await testdb.create_database(database_url, prefix="medimyth_run")
    yield url
    await testdb.drop_database(url)


def children(pid: int) -> list[int]:
    try:
        return [
            int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        ]
    except FileNotFoundError:
        return []


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_ctrl_c_stops_every_process_gracefully_without_a_warning(
    fresh_database: str, tmp_path: Path
) -> None:
    # given `manage.py run` serving, as a developer's terminal runs it (its own session)
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "TEST_DATABASE_URL"}
    env.update(DATABASE_URL=fresh_database, LOG_LEVEL="info")
    output = tmp_path / "run.log"
    with output.open("wb") as log:
        run = subprocess.Popen(
            [sys.executable, "manage.py", "run", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        for _ in range(BOOT_SECONDS * 4):
            assert run.poll() is None, output.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        else:
            raise AssertionError(f"never ready:\n{output.read_text()}")
        started = [*children(run.pid), *(g for c in children(run.pid) for g in children(c))]
        assert len(started) == 4  # gunicorn, the outbox worker, two Uvicorn workers
        # when Ctrl-C is pressed: the terminal sends SIGINT to its foreground process group
        os.killpg(run.pid, signal.SIGINT)
        code = run.wait(graceful_timeout() + 10)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    # then all of it stopped, gracefully (SIGTERM, not gunicorn's quick SIGINT stop)
    text = output.read_text()
    assert code == 0, text
    assert not [pid for pid in started if alive(pid)]
    assert "Handling signal: term" in text
    assert "Shutting down: Master" in text
    # and nothing in the log reads like a fault
    for fault in ("Error while closing socket", "WARNING", "ERROR", "Traceback", "sent SIGINT"):
        assert fault not in text, text
