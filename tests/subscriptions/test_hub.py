"""The hub without sockets: who is woken by what, one read per change per key, nothing kept."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import date

from resolvers.platform.changes import SessionKey
from resolvers.platform.hub import RESYNC_LOOKS, RESYNC_SPREAD, Hub, Polling, Watch

KEY = SessionKey(7, date(2026, 12, 7))
OTHER = SessionKey(8, date(2026, 12, 7))


class Silent:
    """A broker that never hears anything: the tests call hub.heard themselves."""

    listening = True

    async def follow(self, heard: object) -> None:
        await asyncio.Event().wait()


def hub() -> Hub:
    return Hub(Silent(), resync_seconds=3600)


async def test_a_change_wakes_the_watchers_of_its_key_only() -> None:
    # given watchers of two sessions
    live = hub()
    async with live.watch(KEY) as watch, live.watch(OTHER) as other:
        woken = asyncio.create_task(watch.changed())
        untouched = asyncio.create_task(other.changed())
        await asyncio.sleep(0)
        # when one session is announced
        live.heard(KEY.payload)
        await asyncio.wait_for(woken, 1)
        # then only its watcher woke; a payload that names no session wakes nobody
        live.heard("not a key")
        await asyncio.sleep(0)
        assert not untouched.done()
        # and "may have missed something" wakes everyone
        live.heard(None)
        await asyncio.wait_for(untouched, 1)


async def test_watchers_of_one_key_share_one_read_per_change() -> None:
    # given 50 watchers of one session
    live = hub()
    reads = 0

    async def read() -> int:
        nonlocal reads
        reads += 1
        await asyncio.sleep(0.01)
        return reads

    ready = asyncio.Barrier(51)

    async def watcher() -> list[int]:
        async with live.watch(KEY) as watch:
            first = await watch.shared("board", read)
            await ready.wait()
            await watch.changed()
            return [first, await watch.shared("board", read)]

    tasks = [asyncio.create_task(watcher()) for _ in range(50)]
    await ready.wait()
    # when the session changes once
    live.heard(KEY.payload)
    seen = await asyncio.gather(*tasks)
    # then the board was read twice in all (now and after the change), not 100 times
    assert reads == 2
    assert seen == [[1, 2]] * 50


async def test_a_key_is_forgotten_with_its_last_watcher() -> None:
    # given a hub with watchers that come and go
    live = hub()
    async with live.watch(KEY), live.watch(KEY):
        assert live.gauge()["sessions"] == 1
        assert live.gauge()["watchers"] == 2
    # then nothing of the key is kept
    assert live.gauge()["sessions"] == 0
    assert live.gauge()["watchers"] == 0


async def test_polling_wakes_every_watcher_at_its_interval() -> None:
    # given a polling hub (a transaction pooler, no LIVE_LISTEN_URL)
    live = Hub(Polling(0.05), resync_seconds=3600)
    await live.start()
    try:
        async with live.watch(KEY) as watch:
            # when nothing is announced at all, then the watcher is still woken
            await asyncio.wait_for(watch.changed(), 1)
            assert live.gauge()["listening"] is False
    finally:
        await live.stop()


async def test_per_address_admission_counts_and_releases() -> None:
    live = hub()
    assert live.admit("10.0.0.1", limit=2)
    assert live.admit("10.0.0.1", limit=2)
    assert not live.admit("10.0.0.1", limit=2)
    assert live.admit("10.0.0.2", limit=2)
    live.release("10.0.0.1")
    assert live.admit("10.0.0.1", limit=2)
    for address in ("10.0.0.1", "10.0.0.1", "10.0.0.2"):
        live.release(address)
    assert live.gauge()["subscriptions"] == 0


class Clock:
    """The hub's loop time, moved by the test: when a key falls due is arithmetic, not waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def keys(count: int) -> list[SessionKey]:
    return [SessionKey(100 + index, date(2026, 12, 7)) for index in range(count)]


class Reads:
    """A read that counts itself per key and how many run at once."""

    def __init__(self) -> None:
        self.per_key: Counter[SessionKey] = Counter()
        self.running = 0
        self.most = 0

    def of(self, key: SessionKey) -> Callable[[], Awaitable[int]]:
        async def read() -> int:
            self.per_key[key] += 1
            self.running += 1
            self.most = max(self.most, self.running)
            try:
                await asyncio.sleep(0.005)
            finally:
                self.running -= 1
            return self.per_key[key]

        return read


async def watching_all(
    live: Hub, watched: list[SessionKey], reads: Reads, stack: AsyncExitStack
) -> list[Watch]:
    """A watcher per key that has read it once, as a stream does when it opens."""
    watches = [await stack.enter_async_context(live.watch(key)) for key in watched]
    await asyncio.gather(*(w.shared("board", reads.of(w.key)) for w in watches))
    return watches


async def reread_woken(watches: list[Watch], reads: Reads) -> None:
    """Every woken watcher reads again (the ones not woken are left alone)."""
    woken = [w for w in watches if w._seen != w._topic.generation]
    for watch in woken:
        await watch.changed()
    await asyncio.gather(*(w.shared("board", reads.of(w.key)) for w in woken))


async def test_the_resync_spreads_the_keys_over_its_interval_and_reaches_every_one() -> None:
    # given 200 keys all read at the same moment (a worker's start)
    clock = Clock()
    live = Hub(Silent(), resync_seconds=30, reread_limit=5, clock=clock)
    reads = Reads()
    async with AsyncExitStack() as stack:
        watches = await watching_all(live, keys(200), reads, stack)
        # when the resync looks for due keys through two intervals
        bumped: list[int] = []
        for _ in range(2 * RESYNC_LOOKS):
            clock.now += 30 / RESYNC_LOOKS
            bumped.append(live.resync_due())
            await reread_woken(watches, reads)
        # then every key was re-read once in each interval, never all at one look
        first, second = bumped[:RESYNC_LOOKS], bumped[RESYNC_LOOKS:]
        assert sum(first) == sum(second) == 200
        assert set(reads.per_key.values()) == {3}
        assert max(bumped) <= 200 / (RESYNC_LOOKS * RESYNC_SPREAD) + 1
        early = int(RESYNC_LOOKS * (1 - RESYNC_SPREAD))  # a key is due half an interval on
        assert first[:early] == [0] * early
        # and each key keeps its phase: the second interval repeats the first
        assert second == first


async def test_a_key_read_for_a_notification_is_not_resynced_within_its_interval() -> None:
    # given two keys read at the same moment
    clock = Clock()
    live = Hub(Silent(), resync_seconds=30, reread_limit=5, clock=clock)
    reads = Reads()
    announced, quiet = keys(2)
    async with AsyncExitStack() as stack:
        watches = await watching_all(live, [announced, quiet], reads, stack)
        # when one is announced (and read again) 20 seconds later
        clock.now += 20
        live.heard(announced.payload)
        await reread_woken(watches, reads)
        # then a look one interval after the first read resyncs only the other
        clock.now += 10
        assert live.resync_due() == 1
        await reread_woken(watches, reads)
        assert reads.per_key == {announced: 2, quiet: 2}


async def test_rereads_nobody_announced_never_run_more_than_the_limit_at_once() -> None:
    # given 40 keys and a limit of 3 slots
    live = Hub(Silent(), resync_seconds=3600, reread_limit=3)
    reads = Reads()
    async with AsyncExitStack() as stack:
        watches = await watching_all(live, keys(40), reads, stack)
        assert reads.most > 3  # a stream's first read is not paced
        reads.most = 0
        # when the broker says it may have missed something (a reconnect; or a poll)
        live.heard(None)
        await reread_woken(watches, reads)
        # then every key was read again, at most 3 at a time
        assert set(reads.per_key.values()) == {2}
        assert reads.most == 3


async def test_a_streams_own_paced_read_holds_a_slot_and_an_announced_one_does_not() -> None:
    # given a hub with one slot and a watcher
    live = Hub(Silent(), resync_seconds=3600, reread_limit=1)
    async with live.watch(KEY) as watch, live.watch(OTHER) as other:
        # when a re-read of everything wakes both and one holds the slot for its own read
        live.heard(None)
        await watch.changed()
        await other.changed()
        async with watch.paced():
            # then the other waits for the slot
            waiting = asyncio.create_task(_enter(other))
            await asyncio.sleep(0.01)
            assert not waiting.done()
            # while an announced change needs none
            live.heard(OTHER.payload)
            await other.changed()
            await asyncio.wait_for(_enter(other), 1)
        await asyncio.wait_for(waiting, 1)


async def _enter(watch: Watch) -> None:
    async with watch.paced():
        pass


async def test_polls_that_outrun_the_reads_do_not_queue_more_of_them() -> None:
    # given one slot, held by a slow read of one key
    live = Hub(Silent(), resync_seconds=3600, reread_limit=1)
    release = asyncio.Event()
    started = 0

    async def slow() -> int:
        nonlocal started
        started += 1
        await release.wait()
        return started

    async with live.watch(KEY) as watch, live.watch(OTHER) as other:
        live.heard(None)
        await watch.changed()
        first = asyncio.create_task(watch.shared("board", slow))
        await asyncio.sleep(0)
        await other.changed()
        queued = asyncio.create_task(other.shared("board", slow))
        await asyncio.sleep(0)
        # when polls keep coming while the other key's read waits for the slot
        live.heard(None)
        live.heard(None)
        # then that key is not bumped again (its queued read will read after them)
        assert other._topic.generation == 1
        release.set()
        assert await asyncio.wait_for(first, 1) == 1
        assert await asyncio.wait_for(queued, 1) == 2
