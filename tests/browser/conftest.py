"""The browser tests' parts: a real gunicorn with demo data, headless Chromium, GraphiQL opened."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, Request, async_playwright
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


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # No network: every name but the test server's address fails to resolve.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
TIMEOUT_MS = 60_000  # generous: other test runs share the machine's two cores

# Collects what the page's security policy refused, from inside the page.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@dataclass
class Problems:
    """Everything that must stay empty for the page to count as healthy."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


async def open_graphiql(browser: Browser, origin: str) -> tuple[Page, Problems, Any]:
    context = await browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    problems = Problems()

    async def refuse_other_origins(route: Any) -> None:
        problems.external_requests.append(route.request.url)
        await route.abort()

    await context.route(lambda url: not url.startswith(origin + "/"), refuse_other_origins)
    await context.add_init_script(RECORD_CSP_VIOLATIONS)
    page = await context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.console_errors.append(message.text)

    def on_failed(request: Request) -> None:
        problems.failed_requests.append(f"{request.url}: {request.failure}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
    page.on("requestfailed", on_failed)
    response = await page.goto(f"{origin}/graphql")
    assert response is not None
    return page, problems, response
