"""Profile one bench scenario in-process with pyinstrument: where a request's time goes.

Run: .venv/bin/python -m bench.profile "DoctorPage" [--requests 300] [--html out.html]
(the bench database as in `make bench`; the app is called as ASGI, no HTTP server).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import time
from pathlib import Path
from typing import Any

import uvloop
from pyinstrument import Profiler

from app import create_app
from bench.database import bench_url, prepare
from bench.scenarios import pick
from db.session import Database
from settings import Settings


async def call(app: Any, path: str, body: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    """One POST through the ASGI app, as uvicorn would deliver it."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"bench"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
        "app": app,
    }
    sent = False
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return b"".join(chunks)


async def run(url: str, name: str, requests: int, html: str | None) -> str | None:
    # Budgets off: the profile is of the request's own work, sent from one (absent) address.
    settings = dataclasses.replace(
        Settings.from_env(), request_budget_per_address=0, request_budget_per_account=0
    )
    scenario = next(s for s in await pick(url, settings) if s.name == name)
    database = Database(settings)
    app = create_app(settings, database=database)
    request = scenario.graphql
    headers = [(k.lower().encode(), v.encode()) for k, v in request.headers]
    first = await call(app, request.path, request.body, headers)
    assert b'"errors"' not in first, first[:500]
    for _ in range(20):  # warm the caches (parser, validation, statements)
        await call(app, request.path, request.body, headers)
    profiler = Profiler(async_mode="disabled", interval=0.0005)
    started = time.perf_counter()
    profiler.start()
    for _ in range(requests):
        await call(app, request.path, request.body, headers)
    profiler.stop()
    elapsed = time.perf_counter() - started
    print(f"{name}: {requests / elapsed:.1f} req/s in-process, {len(first)} bytes")
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    await database.dispose()
    return profiler.output_html() if html else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenario")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--html")
    args = parser.parse_args()
    url = bench_url()
    os.environ["DATABASE_URL"] = url
    prepare(url)
    page = uvloop.run(run(url, args.scenario, args.requests, args.html))
    if args.html and page is not None:
        Path(args.html).write_text(page)


if __name__ == "__main__":
    main()
