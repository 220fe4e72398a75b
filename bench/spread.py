"""How plain wrk's keep-alive connections land on gunicorn's workers: split per start, then load.

Run: .venv/bin/python -m bench.spread [--starts 20] [--runs 3] [--seconds 15]

Serves the Procfile's command (2 workers, budgets off) on the bench database, starts
wrk (16 connections, ``{ __typename }`` POSTed by a Lua script, nothing else) ``--starts``
times and counts each worker's established connections with ``ss -tnp``; then
``--runs`` wrk runs of ``--seconds`` for req/s and p50/p99. ``WORKER_BALANCE`` in the
environment is passed through, so both modes are measured with the same script.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

from bench.run import HOST, serving

PORT = 8767
CONNECTIONS = 16
LUA = """wrk.method = "POST"
wrk.body = '{"query":"{ __typename }"}'
wrk.headers["Content-Type"] = "application/json"
"""


def split(port: int) -> list[int]:
    """Established connections per accepting process on the port, largest first."""
    out = subprocess.run(
        ["ss", "-tnpH", "state", "established", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pids = collections.Counter(re.findall(r"pid=(\d+)", out))
    return sorted(pids.values(), reverse=True)


def wrk(script: Path, port: int, seconds: int) -> subprocess.Popen[str]:
    options = ["-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", str(script)]
    return subprocess.Popen(
        ["wrk", *options, f"http://{HOST}:{port}/graphql"],
        stdout=subprocess.PIPE,
        text=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--starts", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    env = {**os.environ}
    env.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/medimyth_bench")
    mode = env.get("WORKER_BALANCE", "default")
    with tempfile.TemporaryDirectory() as tmp, serving("app:app", PORT, env):
        script = Path(tmp) / "typename.lua"
        script.write_text(LUA)
        splits: collections.Counter[str] = collections.Counter()
        for _ in range(args.starts):
            process = wrk(script, PORT, 2)
            time.sleep(1.0)  # wrk connects at once; read the split mid-run
            splits["/".join(map(str, split(PORT)))] += 1
            process.communicate()
            time.sleep(0.5)  # the server sees the last start's connections close first
        print(
            f"WORKER_BALANCE={mode}: split over {args.starts} starts:", dict(splits.most_common())
        )
        for _ in range(args.runs):
            process = wrk(script, PORT, args.seconds)
            time.sleep(1.0)
            seen = "/".join(map(str, split(PORT)))
            out, _ = process.communicate()
            rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
            p50 = re.search(r"50%\s+(\S+)", out)
            p99 = re.search(r"99%\s+(\S+)", out)
            print(
                f"  run: split {seen}, {rps and rps[1]} req/s, "
                f"p50 {p50 and p50[1]}, p99 {p99 and p99[1]}"
            )


if __name__ == "__main__":
    main()
