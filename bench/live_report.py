"""The live benchmark's figures: each receipt matched to its CallNext, delays, memory, CPU."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.live import Measured

# A receipt more than this long after its session's last CallNext belongs to none.
ATTRIBUTION_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Call:
    session: int
    sent: float  # wall clock, as the load processes' receipts
    answered: float  # the HTTP answer arrived: the transaction had committed
    kind: str  # the answer's __typename


def percentile(values: list[float], share: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _ms(values: list[float]) -> str:
    return " | ".join(f"{percentile(values, share) * 1000:.0f}" for share in (0.5, 0.9, 0.99, 1.0))


def _timestamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def report(measured: Measured) -> list[str]:
    streams = measured.streams
    called: dict[int, list[Call]] = {}
    for call in sorted(measured.calls, key=lambda call: call.sent):
        if call.kind == "Called":
            called.setdefault(call.session, []).append(call)
    completed: dict[int, float] = {}
    failed: dict[int, str] = {}
    receipts: list[tuple[int, float, str | None]] = []
    errors = 0
    for records in measured.records:
        completed |= records.completed
        failed |= records.failed
        receipts += records.receipts
        errors += sum(records.errors.values())

    after_answer: dict[str, list[float]] = {"board": [], "patient": []}
    after_sent: list[float] = []
    after_updated: list[float] = []
    seen: set[tuple[int, int, float]] = set()
    unattributed = duplicates = 0
    for index, received, updated in receipts:
        stream = streams[index]
        earlier = [c for c in called.get(stream.session, ()) if c.sent <= received]
        if not earlier or received - earlier[-1].sent > ATTRIBUTION_SECONDS:
            unattributed += 1
            continue
        call = earlier[-1]
        key = (index, call.session, call.sent)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        after_answer[stream.kind].append(received - call.answered)
        after_sent.append(received - call.sent)
        if updated is not None:
            after_updated.append(received - _timestamp(updated))

    expected = 0
    for session, calls in called.items():
        watching = [s for s in streams if s.session == session and s.index not in failed]
        for call in calls:
            expected += sum(1 for s in watching if completed.get(s.index, math.inf) >= call.sent)
    delivered = len(seen)
    fan_outs = sum(len(calls) for calls in called.values())
    kinds = Counter(call.kind for call in measured.calls)
    http = [call.answered - call.sent for call in measured.calls]
    opened = max(1, measured.opened)
    per_subscription = (measured.rss_after - measured.rss_before) / opened
    all_after_answer = after_answer["board"] + after_answer["patient"]
    streams_by_kind = Counter(stream.kind for stream in streams)

    reasons = Counter(
        f"{streams[index].kind}: {reason.split('(')[0]}" for index, reason in failed.items()
    )

    def connections(rows: list[tuple[str, str, int]]) -> str:
        return ", ".join(f"{what} {state}: {n}" for what, state, n in rows) or "none"

    return [
        f"- {len(measured.sessions)} RUNNING sessions; {len(streams)} subscribers "
        f"({streams_by_kind['board']} WatchSession, {streams_by_kind['patient']} WatchMyPlace), "
        f"{measured.opened} opened, {len(failed)} failed or lost"
        + (f" (e.g. {measured.open_failures[0]})" if measured.open_failures else ""),
        f"- failed or lost, by stream and cause: {dict(reasons)}",
        f"- CallNext: {len(measured.calls)} sent ({dict(kinds)}), HTTP answer p50 "
        f"{percentile(http, 0.5) * 1000:.0f} ms, p99 {percentile(http, 0.99) * 1000:.0f} ms",
        f"- deliveries: {delivered} of {expected} expected ({expected - delivered} missing), "
        f"{duplicates} duplicates, {unattributed} not after a CallNext; "
        f"{errors} `next` messages with errors instead of data",
        "",
        "| delay to each subscriber's receipt | p50 ms | p90 ms | p99 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| from the CallNext answer (commit), all streams | {_ms(all_after_answer)} |",
        f"| from the CallNext answer, WatchSession | {_ms(after_answer['board'])} |",
        f"| from the CallNext answer, WatchMyPlace | {_ms(after_answer['patient'])} |",
        f"| from the CallNext request sent | {_ms(after_sent)} |",
        f"| from the board's updatedAt | {_ms(after_updated)} |",
        "",
        f"- worker memory (RSS, both workers): {measured.rss_before / 2**20:.0f} MiB before, "
        f"{measured.rss_after / 2**20:.0f} MiB with the subscriptions open: "
        f"{per_subscription / 1024:.1f} KiB per open subscription",
        f"- worker CPU during CallNext: {measured.cpu_seconds:.2f} s over "
        f"{measured.drive_seconds:.0f} s for {fan_outs} fan-outs: "
        f"{measured.cpu_seconds / max(1, fan_outs) * 1000:.1f} ms per fan-out "
        f"({measured.cpu_seconds / max(1, delivered) * 1000:.2f} ms per delivered message; "
        "includes serving the CallNext itself and the keep-alive pings)",
        "- PostgreSQL client connections to the bench database: before the subscribers "
        f"opened: {connections(measured.connections_idle)}; with all of them open, at the "
        f"end of CallNext: {connections(measured.connections_busy)}",
    ]
