"""Plain wrk runs (a Lua script sets only method, body and content type) and a server's CPU time.

The CPU time is utime + stime of the server's whole process tree, read from /proc
before and after a run: for gunicorn the master and its workers, for Node the one
process. Divided by the requests wrk reports, it is the server's CPU per request.
PostgreSQL's share is counted apart, over the backends serving the bench database
(a server that builds its JSON in SQL moves work there): those open at the end of a
run, from what each had used when the run started (0 for one opened during it).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                found.extend(int(child) for child in children.read().split())
    except (FileNotFoundError, ProcessLookupError):
        pass
    return found


def _ticks(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None  # gone between listing and reading
    return int(fields[11]) + int(fields[12])


def tree_cpu_seconds(root: int) -> float:
    """utime + stime of ``root`` and every live descendant, in seconds."""
    total = 0
    pending = [root]
    while pending:
        pid = pending.pop()
        ticks = _ticks(pid)
        if ticks is not None:
            total += ticks
            pending.extend(_children(pid))
    return total / _CLOCK_TICKS


def cpu_by_pid(pids: list[int]) -> dict[int, int]:
    """Clock ticks used so far by each of ``pids`` still alive."""
    found = {pid: _ticks(pid) for pid in pids}
    return {pid: ticks for pid, ticks in found.items() if ticks is not None}


@dataclass(frozen=True)
class Run:
    rps: float
    requests: int
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms_per_request: float
    # None when the database's backends are not processes of this machine.
    database_cpu_ms_per_request: float | None = None


def lua_script(body: bytes, directory: Path) -> Path:
    """The only customisation: POST, the JSON body, its content type."""
    text = body.decode()
    level = 1
    while f"]{'=' * level}]" in text:
        level += 1
    eq = "=" * level
    script = directory / f"request-{abs(hash(body))}.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = [{eq}[{text}]{eq}]\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    return script


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS_MS[unit]


def parse(output: str) -> tuple[float, int, float, float, int]:
    """(req/s, requests, p50 ms, p99 ms, non-2xx and socket errors) from wrk --latency."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    errors = 0
    if found := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        errors += int(found.group(1))
    if found := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(n) for n in found.groups())
    return rps, requests, p50, p99, errors


def drive(
    *,
    url: str,
    body: bytes,
    server_pid: int,
    connections: int,
    seconds: float,
    backends: Callable[[], list[int]] | None = None,
) -> tuple[Run, str]:
    """One wrk run against ``url``; the Run and wrk's own output."""
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as directory:
        script = lua_script(body, Path(directory))
        command = [
            "wrk",
            "--threads",
            str(min(connections, 2)),
            "--connections",
            str(connections),
            "--duration",
            f"{max(1, round(seconds))}s",
            "--latency",
            # A slow shape on a busy machine is measured, not dropped (wrk: 2 s by default).
            "--timeout",
            "10s",
            "--script",
            str(script),
            url,
        ]
        database_before = cpu_by_pid(backends()) if backends else {}
        before = tree_cpu_seconds(server_pid)
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        after = tree_cpu_seconds(server_pid)
        database_after = cpu_by_pid(backends()) if backends else {}
    rps, requests, p50, p99, errors = parse(output)
    cpu = (after - before) * 1000 / requests if requests else 0.0
    database: float | None = None
    if database_after and requests:
        used = sum(t - database_before.get(pid, 0) for pid, t in database_after.items())
        database = used / _CLOCK_TICKS * 1000 / requests
    return Run(rps, requests, p50, p99, errors, cpu, database), output
