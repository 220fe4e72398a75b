"""`make bench`: seed the bench database, serve MediMyth and the floor with gunicorn, drive, report.

Run: .venv/bin/python -m bench.run [--seconds 10] [--clients 1 16] [--only NAME ...]

Both servers run on 127.0.0.1 only, with WEB_CONCURRENCY=2 Uvicorn workers; every
cell runs for a fixed time after a short warm-up, and the servers are stopped at
the end (also on errors and Ctrl-C). The table goes to stdout and to
artifacts/bench-latest.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import signal
import socket
import statistics
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import uvloop

from bench import client
from bench.database import bench_url, prepare
from bench.scenarios import Scenario, pick
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
GRAPHQL_PORT = 8765
FLOOR_PORT = 8766
HOST = "127.0.0.1"
WORKERS = 2


@dataclass(frozen=True)
class Cell:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    statements: float | None
    last_error: str | None
    low: float = 0.0
    high: float = 0.0
    runs: int = 1


def _cell(tally: client.Tally, seconds: float) -> Cell:
    latencies = sorted(tally.latencies) or [0.0]
    p99_index = max(0, int(len(latencies) * 0.99) - 1)
    return Cell(
        rps=len(tally.latencies) / seconds,
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=latencies[p99_index] * 1000,
        errors=tally.errors,
        statements=tally.statements / tally.counted if tally.counted else None,
        last_error=tally.last_error,
    )


@contextmanager
def serving(
    target: str, port: int, env: dict[str, str], log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """gunicorn with 2 workers on 127.0.0.1:port until the block ends; then SIGTERM and wait.

    The block gets the gunicorn master's process (its children are the workers). The
    server's log goes to ``log`` when given, else to this process's output.
    """
    server_env = {
        **env,
        "WEB_CONCURRENCY": str(WORKERS),
        "BIND": f"{HOST}:{port}",
        "LOG_LEVEL": "warning",
        # 16 clients on one address are far past a client's budget: the bench measures
        # the server's work, so the budgets (one statement a request) are off.
        "REQUEST_BUDGET_PER_ADDRESS": "0",
        "REQUEST_BUDGET_PER_ACCOUNT": "0",
    }
    output = None if log is None else log.open("wb")
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), target, "-c", str(ROOT / "gunicorn.conf.py")],
        cwd=ROOT,
        env=server_env,
        stdout=output,
        stderr=subprocess.STDOUT if output else None,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn {target} exited with {process.returncode}")
            try:
                socket.create_connection((HOST, port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn {target} did not listen on {port}") from None
                time.sleep(0.1)
        time.sleep(1.0)  # let both workers finish booting
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=25)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if output is not None:
            output.close()


def _measure(
    scenarios: list[Scenario],
    *,
    floor: bool,
    port: int,
    levels: list[int],
    args: argparse.Namespace,
) -> dict[tuple[str, int], Cell]:
    found: dict[tuple[str, int], Cell] = {}
    for scenario in scenarios:
        request = scenario.floor if floor else scenario.graphql
        status, body = uvloop.run(client.fetch(HOST, port, request))
        if status != 200 or b'"errors"' in body:
            raise RuntimeError(f"{scenario.name} answered {status}: {body[:500]!r}")
        for level in levels:
            runs: list[Cell] = []
            for _ in range(args.repeat):
                tally = uvloop.run(
                    client.drive(
                        HOST,
                        port,
                        request,
                        clients=level,
                        seconds=args.seconds,
                        warmup=args.warmup,
                        workers=WORKERS,
                    )
                )
                runs.append(_cell(tally, args.seconds))
            # The median run by throughput, with the spread of all runs: on a shared
            # 2-core box one run can land in a slow minute.
            runs.sort(key=lambda run: run.rps)
            cell = dataclasses.replace(
                runs[len(runs) // 2], low=runs[0].rps, high=runs[-1].rps, runs=len(runs)
            )
            found[scenario.name, level] = cell
            side = "floor" if floor else "graphql"
            spread = f" (runs {cell.low:.0f} to {cell.high:.0f})" if cell.runs > 1 else ""
            print(
                f"  {side:<8}{scenario.name:<22}{level:>3} clients {cell.rps:8.1f}/s{spread}"
                f" p50 {cell.p50_ms:6.1f} ms p99 {cell.p99_ms:6.1f} ms errors {cell.errors}"
                f" statements {cell.statements}",
                flush=True,
            )
            if cell.last_error:
                print(f"    last error: {cell.last_error}", flush=True)
    return found


def machine() -> list[str]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as info:
        memory_kb = int(info.readline().split()[1])
    with open("/proc/loadavg") as load:
        loadavg = " ".join(load.read().split()[:3])
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in (
            "strawberry-graphql",
            "graphql-core",
            "starlette",
            "uvicorn",
            "gunicorn",
            "uvloop",
            "httptools",
            "SQLAlchemy",
            "asyncpg",
            "orjson",
        )
    )
    return [
        f"- machine: {os.cpu_count()} cores (nproc), {cpu}, {memory_kb / 1024 / 1024:.1f} GiB RAM",
        f"- load average when the run started (1, 5, 15 min): {loadavg}",
        f"- Python {platform.python_version()}; {versions}",
    ]


def table(
    scenarios: list[Scenario],
    graphql: dict[tuple[str, int], Cell],
    floor: dict[tuple[str, int], Cell],
    levels: list[int],
) -> list[str]:
    lines = [
        "| operation | clients | GraphQL req/s | p50 ms | p99 ms | errors | statements/req "
        "| floor req/s | floor p50 ms | floor p99 ms | floor statements | GraphQL/floor |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for scenario in scenarios:
        for level in levels:
            g = graphql.get((scenario.name, level))
            f = floor.get((scenario.name, level))
            if g is None:
                continue

            def stat(cell: Cell | None) -> str:
                if cell is None or cell.statements is None:
                    return "-"
                return f"{cell.statements:.1f}"

            ratio = f"{g.rps / f.rps:.0%}" if f and f.rps else "-"
            floor_cells = (
                [f"{f.rps:.1f}", f"{f.p50_ms:.1f}", f"{f.p99_ms:.1f}", stat(f)] if f else ["-"] * 4
            )
            rate = f"{g.rps:.1f}" + (f" ({g.low:.0f}-{g.high:.0f})" if g.runs > 1 else "")
            lines.append(
                f"| {scenario.name} | {level} | {rate} | {g.p50_ms:.1f} | {g.p99_ms:.1f} "
                f"| {g.errors} | {stat(g)} | " + " | ".join(floor_cells) + f" | {ratio} |"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per cell")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured time per cell")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--only", nargs="+", help="scenario names to run (default: all)")
    parser.add_argument("--no-floor", action="store_true", help="skip the floor")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per cell; the table shows the median"
    )
    args = parser.parse_args()

    url = bench_url()
    env = {**os.environ, "DATABASE_URL": url}
    os.environ["DATABASE_URL"] = url
    prepare(url)
    settings = Settings.from_env()
    scenarios = uvloop.run(pick(url, settings))
    if args.only:
        scenarios = [s for s in scenarios if s.name in args.only]
    header = ["# Bench run", "", *machine(), ""]
    print("\n".join(header), flush=True)
    for scenario in scenarios:
        print(f"  {scenario.name}: {scenario.what}")
    started = time.time()
    with serving("bench.server:app", GRAPHQL_PORT, env):
        graphql = _measure(
            scenarios, floor=False, port=GRAPHQL_PORT, levels=args.clients, args=args
        )
    floor: dict[tuple[str, int], Cell] = {}
    if not args.no_floor:
        with serving("bench.floor:app", FLOOR_PORT, env):
            floor = _measure(scenarios, floor=True, port=FLOOR_PORT, levels=args.clients, args=args)
    lines = [
        *header,
        f"- {args.seconds:g} s per cell after {args.warmup:g} s warm-up, "
        f"{args.repeat} run(s) per cell (median shown, range in brackets); "
        f"took {time.time() - started:.0f} s",
        "",
        *[f"- {s.name}: {s.what}" for s in scenarios],
        "",
        *table(scenarios, graphql, floor, args.clients),
    ]
    output = "\n".join(lines) + "\n"
    print(output)
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "bench-latest.md").write_text(output)


if __name__ == "__main__":
    main()
