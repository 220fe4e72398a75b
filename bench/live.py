"""`make bench-live`: thousands of live subscribers on two workers, one CallNext a second.

Run: .venv/bin/python -m bench.live [--subscribers 5000] [--sessions 300] [--seconds 60]
     [--rate 1] [--patient-share 0.2] [--load-processes 2]

The Procfile's server (gunicorn app:app, 2 Uvicorn workers, ENVIRONMENT=production
with a random SECRET_KEY) serves the bench database on 127.0.0.1. The bench starts
today's sessions and adds ARRIVED walk-ins through the API (bench/live_sessions.py),
opens the subscribers in separate load processes (bench/live_load.py: one WebSocket
and one graphql-transport-ws subscription each, WatchSession or WatchMyPlace, spread
round-robin over the sessions), then calls CallNext on a random session at the given
rate. It reports the delay from each CallNext's commit to every subscriber's receipt,
the workers' memory per open subscription, their CPU time per fan-out, and the
connections held on PostgreSQL. The table goes to stdout and artifacts/bench-live-latest.md.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import resource
import secrets
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvloop

from bench import live_load
from bench.database import bench_url, prepare
from bench.floor import asyncpg_dsn
from bench.live_report import Call, report
from bench.live_sessions import BenchSession, live_operation, prepare_sessions
from bench.run import HOST, machine, serving
from db.listener import APPLICATION_NAME as LISTENER_NAME
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PORT = 8767
# A session called in the last few seconds is not called again: every receipt then
# belongs to exactly one CallNext.
QUIET_SECONDS = 5.0
DRAIN_SECONDS = 3.0
SERVER_LOG = ROOT / "artifacts" / "bench-live-server.log"


def server_env(url: str, args: argparse.Namespace) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "ENVIRONMENT": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        # Every subscriber comes from 127.0.0.1: the per-address cap is for the open internet.
        "LIVE_MAX_SUBSCRIPTIONS_PER_ADDRESS": str(args.subscribers * 2),
    }


def workers_of(master: int) -> list[int]:
    with open(f"/proc/{master}/task/{master}/children") as children:
        return [int(pid) for pid in children.read().split()]


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def pg_connections(url: str) -> list[tuple[str, str, int]]:
    """(what, state, count) of this database's client backends, LISTEN ones told apart."""
    dsn, kwargs = asyncpg_dsn(url)
    db = await asyncpg.connect(dsn, **kwargs)
    try:
        rows = await db.fetch(
            """SELECT CASE WHEN application_name = $1 THEN 'listening' ELSE 'pooled' END AS what,
                      coalesce(state, '?') AS state, count(*) AS n
               FROM pg_stat_activity
               WHERE datname = current_database() AND backend_type = 'client backend'
                 AND pid <> pg_backend_pid()
               GROUP BY 1, 2 ORDER BY 1, 2""",
            LISTENER_NAME,
        )
    finally:
        await db.close()
    return [(row["what"], row["state"], row["n"]) for row in rows]


def plan_streams(
    sessions: list[BenchSession], subscribers: int, patient_share: float
) -> list[live_load.Stream]:
    """Round-robin over the sessions; each session's first streams watch its patients."""
    board, patient = live_operation("WatchSession"), live_operation("WatchMyPlace")
    per_session: dict[int, int] = {}
    streams = []
    for index in range(subscribers):
        number = index % len(sessions)
        session = sessions[number]
        nth = per_session.get(number, 0)
        per_session[number] = nth + 1
        share = round(patient_share * (subscribers / len(sessions)))
        if nth < min(share, len(session.patients)):
            public_id, token = session.patients[nth]
            variables = {"publicId": public_id, "manageToken": token}
            streams.append(live_load.Stream(index, number, "patient", patient, variables))
        else:
            streams.append(live_load.Stream(index, number, "board", board, session.variables))
    return streams


async def drive(
    http: httpx.AsyncClient, sessions: list[BenchSession], *, seconds: float, rate: float
) -> list[Call]:
    """CallNext on random sessions at ``rate`` a second for ``seconds``; one task per call."""
    chooser = random.Random(20261203)
    last_called: dict[int, float] = {}
    calls: list[Call] = []
    query = live_operation("CallNext")

    async def call(number: int) -> None:
        session = sessions[number]
        sent = time.time()
        response = await http.post(
            "/graphql",
            json={"query": query, "variables": session.variables},
            headers={"Authorization": f"Bearer {session.doctor_token}"},
        )
        answered = time.time()
        body = response.json()
        kind = (body.get("data") or {}).get("callNext", {}).get("__typename") or repr(body)[:200]
        calls.append(Call(number, sent, answered, kind))

    tasks = []
    started = time.monotonic()
    for tick in range(int(seconds * rate)):
        await asyncio.sleep(max(0.0, started + tick / rate - time.monotonic()))
        now = time.time()
        quiet = [n for n in range(len(sessions)) if now - last_called.get(n, 0.0) > QUIET_SECONDS]
        number = chooser.choice(quiet or list(range(len(sessions))))
        last_called[number] = now
        tasks.append(asyncio.create_task(call(number)))
    await asyncio.gather(*tasks)
    return calls


@dataclass
class Measured:
    sessions: list[BenchSession]
    streams: list[live_load.Stream]
    calls: list[Call]
    records: list[live_load.Records]
    rss_before: int
    rss_after: int
    cpu_seconds: float
    drive_seconds: float
    connections_idle: list[tuple[str, str, int]]
    connections_busy: list[tuple[str, str, int]]
    opened: int
    open_failures: list[str]
    load_at_drive: str
    server_errors: int = 0


def _start_loads(streams: list[live_load.Stream], processes: int) -> list[tuple[Any, Connection]]:
    context = multiprocessing.get_context("spawn")
    url = f"ws://{HOST}:{PORT}/graphql"
    loads = []
    for number in range(processes):
        mine = streams[number::processes]
        parent, child = context.Pipe()
        process = context.Process(target=live_load.main, args=(url, mine, child), daemon=True)
        process.start()
        loads.append((process, parent))
    return loads


async def measure(url: str, master: int, settings: Settings, args: argparse.Namespace) -> Measured:
    limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
    async with httpx.AsyncClient(
        base_url=f"http://{HOST}:{PORT}", timeout=60, limits=limits
    ) as http:
        arrived = max(4, round(args.patient_share * args.subscribers / args.sessions) + 2)
        arrived = max(arrived, int(args.seconds * args.rate / args.sessions) + 4)
        sessions = await prepare_sessions(
            url, http, settings, sessions=args.sessions, arrived=arrived
        )
        print(f"  {len(sessions)} sessions RUNNING, {arrived}+ ARRIVED each", flush=True)
        streams = plan_streams(sessions, args.subscribers, args.patient_share)
        workers = workers_of(master)
        await asyncio.sleep(1.0)
        rss_before = sum(map(rss_bytes, workers))
        connections_idle = await pg_connections(url)
        loads = _start_loads(streams, args.load_processes)
        opened, failures = 0, list[str]()
        for _, pipe in loads:
            _, count, failed, sample = await asyncio.to_thread(pipe.recv)
            opened += count
            failures += sample if failed else []
        print(f"  {opened} of {len(streams)} subscriptions open", flush=True)
        await asyncio.sleep(2.0)
        rss_after = sum(map(rss_bytes, workers))
        load_at_drive = " ".join(f"{value:.2f}" for value in os.getloadavg())
        cpu_before = sum(map(cpu_seconds, workers))
        drive_started = time.monotonic()
        calls = await drive(http, sessions, seconds=args.seconds, rate=args.rate)
        connections_busy = await pg_connections(url)
        await asyncio.sleep(DRAIN_SECONDS)
        drive_seconds = time.monotonic() - drive_started
        cpu = sum(map(cpu_seconds, workers)) - cpu_before
        records = []
        for _, pipe in loads:
            pipe.send("stop")
        for process, pipe in loads:
            _, receipts, completed, failed, errors = await asyncio.to_thread(pipe.recv)
            records.append(live_load.Records(receipts, completed, failed, errors))
            process.join(timeout=30)
    return Measured(
        sessions,
        streams,
        calls,
        records,
        rss_before,
        rss_after,
        cpu,
        drive_seconds,
        connections_idle,
        connections_busy,
        opened,
        failures,
        load_at_drive,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=5000)
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long CallNext runs")
    parser.add_argument("--rate", type=float, default=1.0, help="CallNext a second")
    parser.add_argument(
        "--patient-share", type=float, default=0.2, help="share of WatchMyPlace streams"
    )
    parser.add_argument("--load-processes", type=int, default=2)
    args = parser.parse_args()

    # Thousands of sockets on each side: lift the soft limit to the hard one (inherited).
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    url = bench_url()
    prepare(url)
    env = server_env(url, args)
    settings = Settings.from_env(env)
    header = ["# Live bench run", "", *machine()]
    print("\n".join(header), flush=True)
    started = time.time()
    (ROOT / "artifacts").mkdir(exist_ok=True)
    with serving("app:app", PORT, env, log=SERVER_LOG) as master:
        measured = uvloop.run(measure(url, master.pid, settings, args))
    logged = SERVER_LOG.read_text(errors="replace").splitlines()
    measured.server_errors = sum(1 for line in logged if '"level": "ERROR"' in line)
    pool_timeouts = sum(1 for line in logged if "QueuePool limit" in line)
    lines = [
        *header,
        f"- load average when CallNext ran (1, 5, 15 min): {measured.load_at_drive}",
        f"- command: .venv/bin/python -m bench.live --subscribers {args.subscribers} "
        f"--sessions {args.sessions} --seconds {args.seconds:g} --rate {args.rate:g} "
        f"--patient-share {args.patient_share:g} --load-processes {args.load_processes}",
        f"- took {time.time() - started:.0f} s",
        "",
        *report(measured),
        f"- the server logged {measured.server_errors} errors ({pool_timeouts} of them waits "
        f"for a pooled connection that timed out); its log: {SERVER_LOG.relative_to(ROOT)}",
    ]
    output = "\n".join(lines) + "\n"
    print(output)
    (ROOT / "artifacts" / "bench-live-latest.md").write_text(output)


if __name__ == "__main__":
    main()
