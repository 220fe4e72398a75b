"""The bench database: BENCH_DATABASE_URL or a dedicated embedded PostgreSQL, seeded once."""

from __future__ import annotations

import os

import manage
from db import embedded

BENCH_DATABASE = "medimyth_bench"


def bench_url() -> str:
    """BENCH_DATABASE_URL when set; else an embedded server of the bench's own under .data/bench.

    The embedded server is stopped when this process exits; its data stays, so the
    next run reuses the seeded dataset instead of seeding again.
    """
    configured = os.environ.get("BENCH_DATABASE_URL", "").strip()
    if configured:
        for prefix in ("postgres://", "postgresql://"):
            if configured.startswith(prefix):
                return "postgresql+asyncpg://" + configured[len(prefix) :]
        return configured
    data_dir = embedded.default_data_dir(manage.ROOT).parent / "bench" / "postgres"
    return embedded.start(data_dir, database=BENCH_DATABASE)


def prepare(url: str) -> None:
    """Migrate, then seed the bench dataset when the database is empty (a few seconds)."""
    manage.migrate(url)
    manage.seed(url, only_if_empty=True, size="bench")
