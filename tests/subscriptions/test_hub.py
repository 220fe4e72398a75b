"""The hub without sockets: who is woken by what, one read per change per key, nothing kept."""

from __future__ import annotations

import asyncio
from datetime import date

from resolvers.platform.changes import SessionKey
from resolvers.platform.hub import Hub, Polling

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
