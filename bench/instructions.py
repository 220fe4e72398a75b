"""Instructions per request of a bench scenario, counted by callgrind: they repeat; seconds do not.

Run: .venv/bin/python -m bench.instructions "Ref: profile" [--requests 200]
(needs valgrind; the bench database as in `make bench`). It runs the app
in-process twice under `valgrind --tool=callgrind`, with 30 warm-up requests and
then none or ``--requests`` more, and prints the difference per request: the
Python side of a request (app, GraphQL, SQLAlchemy, asyncpg), not PostgreSQL's.
On this shared box a CPU-time measurement of the same code moves by 20% or more
with the neighbours; an instruction count repeats to about 1%.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

WARM_UP = 30
_COLLECTED = re.compile(r"Collected : (\d+)")


async def _serve(name: str, requests: int) -> None:
    from app import create_app
    from bench.profile import call
    from bench.scenarios import pick
    from db.session import Database
    from settings import Settings

    # Budgets off: the profile is of the request's own work, sent from one (absent) address.
    settings = dataclasses.replace(
        Settings.from_env(), request_budget_per_address=0, request_budget_per_account=0
    )
    scenario = next(s for s in await pick(os.environ["DATABASE_URL"], settings) if s.name == name)
    database = Database(settings)
    app = create_app(settings, database=database)
    request = scenario.graphql
    headers = [(k.lower().encode(), v.encode()) for k, v in request.headers]
    for _ in range(WARM_UP):
        await call(app, request.path, request.body, headers)
    gc.collect()
    gc.freeze()  # as the workers do after fork (gunicorn.conf.py)
    for _ in range(requests):
        await call(app, request.path, request.body, headers)
    await database.dispose()


def _count(name: str, requests: int) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={Path(scratch) / 'out'}",
            sys.executable,
            "-m",
            "bench.instructions",
            name,
            "--serve",
            str(requests),
        ]
        # A fixed hash seed: the same dict and set layouts in both runs.
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    found = _COLLECTED.search(done.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenario")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # the run under valgrind
    args = parser.parse_args()
    if args.serve is not None:
        import uvloop

        uvloop.run(_serve(args.scenario, args.serve))
        return
    from bench.database import bench_url, prepare

    url = bench_url()
    os.environ["DATABASE_URL"] = url
    prepare(url)
    base = _count(args.scenario, 0)
    total = _count(args.scenario, args.requests)
    per_request = (total - base) / args.requests
    print(f"{args.scenario}: {per_request / 1e6:.2f}M instructions per request")


if __name__ == "__main__":
    main()
