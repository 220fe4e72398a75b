"""`make bench-peer BENCH_PEER_ARGS=--scale`: MediMyth from 1 to 2 workers, and page size's cost.

(a) req/s, p99 and CPU per request of the 50-doctor page and the profile with
WEB_CONCURRENCY=1 and 2. (b) The directory page (bench.scenarios.REFERENCE_DOCTORS
without its category filter, first: 10, 50, 100): statements per request, counted
server-side by one request through bench.server:app (its x-bench-statements header),
and CPU per request from wrk runs against the Procfile's app:app.
"""

from __future__ import annotations

import argparse
import statistics

import orjson

from bench import wrk
from bench.scenarios import REFERENCE_DOCTORS, Scenario
from bench.servers import HOST, backends, medimyth, post

PAGE_SIZES = (10, 50, 100)
# REFERENCE_DOCTORS with the page size a variable; the replace must hit, or the
# table would measure 50 three times.
_SIZED = REFERENCE_DOCTORS.replace(
    "($filter: DoctorFilter)", "($filter: DoctorFilter, $first: Int)"
)
SIZED_DOCTORS = _SIZED.replace("first: 50", "first: $first")
assert SIZED_DOCTORS.count("$first") == 2, "REFERENCE_DOCTORS changed: update bench/scale.py"


def _body(scenarios: list[Scenario], name: str) -> bytes:
    return next(s for s in scenarios if s.name == name).graphql.body


def sized(first: int) -> bytes:
    # The whole directory by name: the largest category of the bench data holds fewer
    # than 100 doctors, and every size must read the same kind of rows.
    return orjson.dumps({"query": SIZED_DOCTORS, "variables": {"filter": None, "first": first}})


def _runs(
    database: str, port: int, pid: int, body: bytes, args: argparse.Namespace
) -> list[wrk.Run]:
    def run(seconds: float) -> wrk.Run:
        return wrk.drive(
            url=f"http://{HOST}:{port}/graphql",
            body=body,
            server_pid=pid,
            connections=args.connections,
            seconds=seconds,
            backends=lambda: backends(database),
        )[0]

    if args.warmup:
        run(args.warmup)
    return [run(args.seconds) for _ in range(args.runs)]


def _cells(runs: list[wrk.Run]) -> str:
    rps = statistics.median(run.rps for run in runs)
    p99 = statistics.median(run.p99_ms for run in runs)
    cpu = statistics.median(run.cpu_ms_per_request for run in runs)
    known = [r.database_cpu_ms_per_request for r in runs if r.database_cpu_ms_per_request]
    database = f"{statistics.median(known):.2f}" if known else "-"
    errors = sum(run.errors for run in runs)
    return f"{rps:,.1f} | {p99:.1f} | {cpu:.2f} | {database} | {errors}"


def measure(url: str, scenarios: list[Scenario], args: argparse.Namespace) -> list[str]:
    port = args.ports[0]
    lines = [
        "| (a) shape | workers | req/s | p99 ms | server CPU ms/request "
        "| PostgreSQL CPU ms/request | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    # One server at a time, so the two worker counts never share the cores.
    for shape in ("Ref: 50 doctors", "Ref: profile"):
        for workers in (1, 2):
            with medimyth(url, port=port, workers=workers, extra_env=args.env) as server:
                runs = _runs(url, port, server.pid, _body(scenarios, shape), args)
            print(f"  {shape} with {workers} worker(s): {_cells(runs)}", flush=True)
            lines.append(f"| {shape} | {workers} | {_cells(runs)} |")
    statements: dict[int, str] = {}
    with medimyth(url, port=port, workers=1, target="bench.server:app", extra_env=args.env):
        for first in PAGE_SIZES:
            status, answer, headers = post(port, sized(first))
            edges = orjson.loads(answer)["data"]["doctors"]["edges"] if status == 200 else []
            if len(edges) != first:
                raise SystemExit(f"the directory page of {first} answered {len(edges)} doctors")
            statements[first] = headers.get("x-bench-statements", "?")
    lines += [
        "",
        f"| (b) directory by name, {args.workers} workers | statements/request "
        "| req/s | p99 ms | server CPU ms/request | PostgreSQL CPU ms/request | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    with medimyth(url, port=port, workers=args.workers, extra_env=args.env) as server:
        for first in PAGE_SIZES:
            runs = _runs(url, port, server.pid, sized(first), args)
            print(f"  page of {first}: {statements[first]} statements, {_cells(runs)}", flush=True)
            lines.append(f"| first: {first} | {statements[first]} | {_cells(runs)} |")
    return lines
