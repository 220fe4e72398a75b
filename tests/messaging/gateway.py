"""An SMS provider for the tests: a real HTTP server on 127.0.0.1 that records what arrives.

It takes what the webhook sender POSTs (resolvers/messaging/senders.py), one request per
connection, and records each message's id and Idempotency-Key. It can be slow (a delay
before each answer, so a kill lands mid-batch), hold one request unanswered until the
sender's connection drops (the message in flight when a worker is killed), and hold the
first request until a second one is open beside it (so that two workers surely overlap).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from dataclasses import dataclass, field

from resolvers.messaging.senders import WEBHOOK_TIMEOUT_SECONDS

# Well below the webhook sender's timeout, so the held request is answered in time even
# on a loaded machine.
COMPANY_WAIT_SECONDS = WEBHOOK_TIMEOUT_SECONDS / 3


@dataclass(frozen=True)
class Received:
    id: int
    idempotency_key: str
    recipient: str
    body: str


@dataclass
class Gateway:
    delay: float = 0.0  # seconds before each answer
    hold_request: int | None = None  # the n-th request (1-based) is never answered
    wait_for_company: bool = False  # the first request waits (a while) for a second one
    received: list[Received] = field(default_factory=list)
    held: asyncio.Event = field(default_factory=asyncio.Event)
    overlapped: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""
    _open: int = 0
    _server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/sms"
        return self.url

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def ids(self) -> list[int]:
        return [item.id for item in self.received]

    def repeated(self) -> dict[int, int]:
        """Message ids that arrived more than once, with how often."""
        return {key: n for key, n in Counter(self.ids()).items() if n > 1}

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._open += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            _, *lines = head.decode("latin-1").split("\r\n")
            headers = {
                name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in lines if line)
            }
            payload = json.loads(await reader.readexactly(int(headers["content-length"])))
            self.received.append(
                Received(
                    id=payload["id"],
                    idempotency_key=headers["idempotency-key"],
                    recipient=payload["recipient"],
                    body=payload["body"],
                )
            )
            if self._open > 1:
                self.overlapped.set()
            if len(self.received) == self.hold_request:
                self.held.set()
                await reader.read()  # until the sender's connection goes away
                return
            if self.wait_for_company and len(self.received) == 1:
                # Answered anyway before the sender gives up, so a late second worker costs
                # no retry; any two requests open at once later still count as overlapping.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(COMPANY_WAIT_SECONDS):
                        await self.overlapped.wait()
            await asyncio.sleep(self.delay)
            writer.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._open -= 1
            writer.close()
