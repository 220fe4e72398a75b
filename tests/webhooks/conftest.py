"""Webhook fixtures: a real receiver on 127.0.0.1 and the worker's dispatcher."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest

from resolvers.webhooks.delivery import Dispatcher
from settings import Settings
from tests.webhooks.receiver import Receiver


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    await receiver.start()
    yield receiver
    await receiver.stop()


@pytest.fixture
async def dispatcher(settings: Settings) -> AsyncIterator[Dispatcher]:
    # A seeded jitter: the same delays on every run (each still within its 0.5-1 band).
    dispatcher = Dispatcher(settings=settings, rng=random.Random(17))
    yield dispatcher
    await dispatcher.close()
