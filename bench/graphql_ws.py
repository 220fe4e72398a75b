"""A small graphql-transport-ws client on `websockets`: init, ack, subscribe, next, ping/pong.

The protocol (github.com/enisdenjo/graphql-ws, PROTOCOL.md) over one WebSocket with
the subprotocol ``graphql-transport-ws``: the client sends ``connection_init`` and
waits for ``connection_ack``; then ``subscribe`` with an id opens an operation whose
results arrive as ``next`` and which ends with ``complete`` (or ``error``) from
either side. ``ping`` from the server must be answered with ``pong``. WebSocket
ping frames are answered by `websockets` itself.

Written for the live benchmark (bench/live.py): thousands of these run in one
process, so it parses with orjson and keeps nothing per message but what it yields.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

SUBPROTOCOL = Subprotocol("graphql-transport-ws")


class ProtocolError(Exception):
    """The server broke the protocol, refused the connection, or did not ack in time."""


@dataclass(frozen=True, slots=True)
class Event:
    """One ``next``, ``error`` or ``complete`` message of an operation."""

    type: str
    id: str | None
    payload: Any


class GraphQLWebSocket:
    """One graphql-transport-ws connection; usually one subscription on it."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        payload: dict[str, Any] | None = None,
        within: float = 10.0,
    ) -> GraphQLWebSocket:
        """Connect, send connection_init with ``payload``, and wait ``within`` s for the ack."""
        connection = await connect(url, subprotocols=[SUBPROTOCOL], open_timeout=within)
        if connection.subprotocol != SUBPROTOCOL:
            await connection.close()
            raise ProtocolError(f"the server chose subprotocol {connection.subprotocol!r}")
        client = cls(connection)
        await client._send({"type": "connection_init", "payload": payload or {}})
        try:
            async with asyncio.timeout(within):
                while True:
                    message = await client._receive()
                    if message["type"] == "connection_ack":
                        return client
                    if message["type"] != "pong":
                        raise ProtocolError(f"expected connection_ack, got {message!r}")
        except BaseException:
            await connection.close()
            raise

    async def subscribe(
        self, operation_id: str, query: str, variables: dict[str, Any] | None = None
    ) -> None:
        payload = {"query": query, "variables": variables or {}}
        await self._send({"id": operation_id, "type": "subscribe", "payload": payload})

    async def complete(self, operation_id: str) -> None:
        """Stop one operation (the server sends nothing more for it)."""
        await self._send({"id": operation_id, "type": "complete"})

    async def events(self) -> AsyncIterator[Event]:
        """Operation messages until the connection closes; pings are answered on the way."""
        while True:
            message = await self._receive()
            kind = message.get("type")
            if kind in ("next", "error", "complete"):
                yield Event(kind, message.get("id"), message.get("payload"))
            elif kind not in ("pong", "connection_ack"):
                raise ProtocolError(f"unexpected message {message!r}")

    async def close(self) -> None:
        await self.connection.close()

    async def _send(self, message: dict[str, Any]) -> None:
        await self.connection.send(orjson.dumps(message).decode())

    async def _receive(self) -> dict[str, Any]:
        while True:
            raw = await self.connection.recv()
            if not isinstance(raw, str):
                # A browser's graphql-ws cannot read a binary frame: count it as broken here too.
                raise ProtocolError(f"a binary frame, where the protocol sends text: {raw[:80]!r}")
            message = orjson.loads(raw)
            if not isinstance(message, dict) or not isinstance(message.get("type"), str):
                raise ProtocolError(f"not a protocol message: {raw!r}")
            if message["type"] == "ping":
                await self._send({"type": "pong"})
                continue
            return message
