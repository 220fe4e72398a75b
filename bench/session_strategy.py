"""Measures the request-session choice: one session per request behind a lock vs one per batch.

Run: .venv/bin/python -m bench.session_strategy [--seconds 10] [--concurrency 1 16]
(uses DATABASE_URL, or the embedded PostgreSQL under .data/, seeded with demo data).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import manage
from app import create_app
from db.session import Database, RequestSession
from settings import Settings

QUERY = """
query Siblings {
  categories { id name activeDoctorCount }
  doctors(first: 10, orderBy: NAME) {
    totalCount
    edges { node { publicId category { name } schedules { id fee contactPhone } } }
  }
  doctor(publicId: "MMD-1") { name category { name } schedules { weekday contactPhone } }
}
"""


class SessionPerBatch(RequestSession):
    """The alternative: every borrow gets its own short session (and connection)."""

    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(factory)
        self.factory = factory

    @asynccontextmanager
    async def use(self) -> AsyncIterator[AsyncSession]:
        async with self.factory() as session:
            yield session

    async def close(self) -> None:
        return None


async def measure(database: Database, *, concurrency: int, seconds: float) -> dict[str, Any]:
    app = create_app(database.settings, database=database)
    transport = httpx.ASGITransport(app=app)
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    peak = 0

    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def worker() -> None:
            nonlocal errors, peak
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.post("/graphql", json={"query": QUERY})
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200 or "errors" in response.json():
                    errors += 1
                peak = max(peak, database.engine.pool.checkedout())  # type: ignore[attr-defined]

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    latencies.sort()
    return {
        "requests_per_s": len(latencies) / seconds,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "errors": errors,
        "peak_connections": peak,
    }


async def run(url: str, *, seconds: float, levels: list[int]) -> None:
    header = ("clients", "req/s", "p50 ms", "p99 ms", "errors", "conns")
    print(f"{'strategy':<22}" + "".join(f"{title:>9}" for title in header))
    for name, strategy in (
        ("request session+lock", RequestSession),
        ("session per batch", SessionPerBatch),
    ):
        database = Database(Settings(database_url=url, db_pool_size=20, db_max_overflow=0))
        # Swap the strategy the GraphQL view asks the database for.
        database.request_session = partial(strategy, database.sessionmaker)  # type: ignore[method-assign]
        for level in levels:
            row = await measure(database, concurrency=level, seconds=seconds)
            print(
                f"{name:<22}{level:>9}{row['requests_per_s']:>9.1f}{row['p50_ms']:>9.1f}"
                f"{row['p99_ms']:>9.1f}{row['errors']:>9}{row['peak_connections']:>9}"
            )
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    args = parser.parse_args()
    url = manage.database_url()
    manage.migrate(url)
    manage.seed(url, only_if_empty=True)
    asyncio.run(run(url, seconds=args.seconds, levels=args.concurrency))


if __name__ == "__main__":
    main()
