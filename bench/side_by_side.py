"""`make bench-peer`: MediMyth against PostGraphile v5 on the bench database, driven by plain wrk.

Run: .venv/bin/python -m bench.side_by_side [--seconds 15] [--runs 3] [--connections 16]
     [--workers 2] [--only SHAPE ...] [--scale] [--write-results]

MediMyth runs as the Procfile serves it (gunicorn app:app, production settings),
PostGraphile as one Node process (bench/peer). Before any load, each shared shape's
answers must hold the same rows (bench/peer_shapes.py). Then each shape is driven
by wrk, runs alternating MediMyth / PostGraphile, and the table shows medians of
req/s, p50, p99 and the server's CPU ms per request. --scale measures instead how
MediMyth grows from 1 to 2 workers and what a directory page costs at 10, 50 and
100 doctors. The table goes to stdout and artifacts/bench-peer.md (or
bench-peer-scale.md); --write-results also replaces its marked section in
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import signal
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import orjson
import uvloop

from bench import peer_shapes, scale, wrk
from bench.database import bench_url, prepare
from bench.peer_shapes import Shape
from bench.run import machine
from bench.scenarios import pick
from bench.servers import (
    HOST,
    PEER_DIR,
    ROOT,
    backends,
    medimyth,
    post,
    postgraphile,
    require_free,
)
from settings import Settings

RESULTS = ROOT / "bench" / "RESULTS.md"


@dataclass(frozen=True)
class Median:
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float
    database_ms: float | None
    errors: int


def _median_or_none(values: list[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return statistics.median(known) if known else None


def median(runs: list[wrk.Run]) -> Median:
    return Median(
        rps=statistics.median(run.rps for run in runs),
        p50_ms=statistics.median(run.p50_ms for run in runs),
        p99_ms=statistics.median(run.p99_ms for run in runs),
        cpu_ms=statistics.median(run.cpu_ms_per_request for run in runs),
        database_ms=_median_or_none([run.database_cpu_ms_per_request for run in runs]),
        errors=sum(run.errors for run in runs),
    )


def check(shape: Shape, *, ours: int, theirs: int, record: Path | None) -> None:
    """Both servers answer the shape, and where both have it, with the same rows.

    With ``record``, both answers are also written there (tests/bench/answers holds the
    ones the row check's tests read).
    """
    status, answer, _ = post(ours, shape.medimyth)
    if status != 200 or b'"errors"' in answer:
        raise SystemExit(f"MediMyth answered {shape.name} with {status}: {answer[:500]!r}")
    if shape.peer is None:
        return
    peer_status, peer_answer, _ = post(theirs, shape.peer)
    if peer_status != 200:
        raise SystemExit(f"PostGraphile answered {shape.name} with {peer_status}")
    if record is not None:
        record.mkdir(parents=True, exist_ok=True)
        for side, raw in (("medimyth", answer), ("postgraphile", peer_answer)):
            pretty = orjson.dumps(orjson.loads(raw), option=orjson.OPT_INDENT_2) + b"\n"
            (record / f"{peer_shapes.slug(shape.name)}.{side}.json").write_bytes(pretty)
    difference = peer_shapes.same_rows(shape, answer, peer_answer)
    if difference is not None:
        raise SystemExit(f"{shape.name}: the servers disagree: {difference}")
    print(f"  {shape.name}: same rows on both servers", flush=True)


def run_once(
    url: str, port: int, pid: int, body: bytes, args: argparse.Namespace, seconds: float
) -> wrk.Run:
    result, _ = wrk.drive(
        backends=lambda: backends(url),
        url=f"http://{HOST}:{port}/graphql",
        body=body,
        server_pid=pid,
        connections=args.connections,
        seconds=seconds,
    )
    return result


def dbfmt(value: float | None) -> str:
    return "-" if value is None else fmt(value)


def fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.2f}" if value < 10 else f"{value:.1f}"


def side_by_side(url: str, shapes: list[Shape], args: argparse.Namespace) -> list[str]:
    ours, theirs = args.ports
    results: dict[str, tuple[Median, Median | None]] = {}
    with (
        medimyth(url, port=ours, workers=args.workers, extra_env=args.env) as gunicorn,
        postgraphile(url, port=theirs) as node,
    ):
        for shape in shapes:
            check(shape, ours=ours, theirs=theirs, record=args.record)
        for shape in shapes:
            sides = [("MediMyth", ours, gunicorn.pid, shape.medimyth)]
            if shape.peer is not None:
                sides.append(("PostGraphile", theirs, node.pid, shape.peer))
            for _, port, pid, body in sides:
                if args.warmup:
                    run_once(url, port, pid, body, args, args.warmup)
            runs: dict[str, list[wrk.Run]] = {side: [] for side, *_ in sides}
            for number in range(args.runs):
                for side, port, pid, body in sides:
                    result = run_once(url, port, pid, body, args, args.seconds)
                    runs[side].append(result)
                    print(
                        f"  {shape.name:<18} {side:<12} run {number + 1}: {result.rps:8.1f}/s "
                        f"p50 {result.p50_ms:6.1f} ms p99 {result.p99_ms:6.1f} ms "
                        f"cpu {result.cpu_ms_per_request:6.2f} ms/req "
                        f"database {dbfmt(result.database_cpu_ms_per_request)} ms/req "
                        f"errors {result.errors}",
                        flush=True,
                    )
            peer = median(runs["PostGraphile"]) if shape.peer is not None else None
            results[shape.name] = (median(runs["MediMyth"]), peer)
    lines = [
        "| shape | PostGraphile req/s | MediMyth req/s | ratio | p50 ms PG / MM "
        "| p99 ms PG / MM | server CPU ms/request PG / MM "
        "| PostgreSQL CPU ms/request PG / MM | errors PG / MM |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for shape in shapes:
        ours_m, peer_m = results[shape.name]
        if peer_m is None:
            lines.append(
                f"| {shape.name} | -- | {fmt(ours_m.rps)} | | -- / {fmt(ours_m.p50_ms)} "
                f"| -- / {fmt(ours_m.p99_ms)} | -- / {fmt(ours_m.cpu_ms)} "
                f"| -- / {dbfmt(ours_m.database_ms)} | -- / {ours_m.errors} |"
            )
            continue
        ratio = ours_m.rps / peer_m.rps if peer_m.rps else 0.0
        lines.append(
            f"| {shape.name} | {fmt(peer_m.rps)} | {fmt(ours_m.rps)} | {ratio:.2f} "
            f"| {fmt(peer_m.p50_ms)} / {fmt(ours_m.p50_ms)} "
            f"| {fmt(peer_m.p99_ms)} / {fmt(ours_m.p99_ms)} "
            f"| {fmt(peer_m.cpu_ms)} / {fmt(ours_m.cpu_ms)} "
            f"| {dbfmt(peer_m.database_ms)} / {dbfmt(ours_m.database_ms)} "
            f"| {peer_m.errors} / {ours_m.errors} |"
        )
    return lines


def replace_section(text: str, marker: str, body: str) -> str:
    """``text`` with what stands between marker's start and end comments replaced (or appended)."""
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        return before + block + rest.split(end, 1)[1]
    return text.rstrip() + "\n\n" + block + "\n"


def _setting(raw: str) -> tuple[str, str]:
    name, equals, value = raw.partition("=")
    if not equals or not name:
        raise argparse.ArgumentTypeError(f"{raw!r} is not NAME=VALUE")
    return name, value


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # The servers' blocks stop them on the way out, as on Ctrl-C.
    raise SystemExit(128 + signum)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15.0, help="per wrk run")
    parser.add_argument("--runs", type=int, default=3, help="runs per side; medians shown")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds per side")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="MediMyth's WEB_CONCURRENCY")
    parser.add_argument("--only", nargs="+", metavar="SHAPE", help="shape names (default: all)")
    parser.add_argument("--ports", type=int, nargs=2, default=[8771, 8772], metavar="PORT")
    parser.add_argument(
        "--env",
        type=_setting,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for MediMyth's server, e.g. RESPONSE_CACHE=false (repeatable)",
    )
    parser.add_argument("--scale", action="store_true", help="workers 1 vs 2, page 10/50/100")
    parser.add_argument(
        "--record", type=Path, metavar="DIR", help="also write the checked answers to DIR"
    )
    parser.add_argument("--write-results", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    args.env = dict(args.env)
    if args.scale:
        # How work grows with workers and page size is the uncached path's question: a
        # cached answer costs the same at any size. --env RESPONSE_CACHE=true measures it.
        args.env.setdefault("RESPONSE_CACHE", "false")
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    signal.signal(signal.SIGHUP, _stop_on_sigterm)
    if shutil.which("wrk") is None:
        raise SystemExit(
            "wrk is not installed: `make bench-peer` installs it (apt-get install wrk)"
        )
    if not (PEER_DIR / "node_modules" / ".bin" / "node").exists():
        raise SystemExit("bench/peer has no node_modules: `make bench-peer` runs npm ci there")

    for port in args.ports:
        require_free(port)  # before anything starts, not halfway through
    url = bench_url()
    prepare(url)
    scenarios = uvloop.run(pick(url, Settings.from_env()))
    shapes = peer_shapes.shapes(scenarios)
    if args.only:
        unknown = set(args.only) - {shape.name for shape in shapes}
        if unknown:
            known = ", ".join(shape.name for shape in shapes)
            raise SystemExit(f"no shape named {', '.join(sorted(unknown))}; known: {known}")
        shapes = [shape for shape in shapes if shape.name in args.only]
    header = ["# Side by side", "", *machine(), ""]
    print("\n".join(header), flush=True)
    started = time.time()
    if args.scale:
        table, name, marker = (
            scale.measure(url, scenarios, args),
            "bench-peer-scale.md",
            "bench-peer-scale",
        )
    else:
        table, name, marker = side_by_side(url, shapes, args), "bench-peer.md", "bench-peer"
    lines = [
        *header,
        f"- wrk {args.connections} connections, {args.seconds:g} s per run after "
        f"{args.warmup:g} s warm-up, {args.runs} run(s) per cell, medians; "
        f"command: `.venv/bin/python -m bench.side_by_side {shlex.join(sys.argv[1:])}`; "
        f"took {time.time() - started:.0f} s",
        # The response cache answers a repeated public request from memory: say whether
        # it was on, so a table is never read as the uncached path's.
        "- MediMyth settings beyond production defaults: "
        + (", ".join(f"{k}={v}" for k, v in args.env.items()) or "none (response cache on)"),
        "",
        *[f"- {shape.name}: {shape.what}" for shape in shapes if not args.scale],
        "",
        *table,
    ]
    output = "\n".join(lines) + "\n"
    print(output)
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / name).write_text(output)
    if args.write_results:
        RESULTS.write_text(replace_section(RESULTS.read_text(), marker, output))
        print(f"replaced the {marker} section of {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        # The servers' blocks have stopped them on the way out.
        raise SystemExit("interrupted: both servers stopped") from None
