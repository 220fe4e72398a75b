"""A clinic's receiver for the tests: a real HTTP server on 127.0.0.1 that verifies signatures.

It speaks just enough HTTP/1.1 (one request per connection), checks every delivery with
the standardwebhooks verifier, answers the statuses a test scripts (to fail some on
purpose), and can hold a request unanswered (a worker killed mid-delivery).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql import DocumentNode, OperationDefinitionNode, parse, print_ast
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

INTEGRATIONS = Path(__file__).resolve().parents[3] / "shared" / "operations" / "integrations"


def integration_operation(name: str) -> str:
    """One named operation of the frontend's integrations set, as it sends it."""
    document = parse((INTEGRATIONS / "integrations.graphql").read_text())
    for definition in document.definitions:
        named = isinstance(definition, OperationDefinitionNode) and definition.name is not None
        if named and definition.name.value == name:  # type: ignore[attr-defined]
            return print_ast(DocumentNode(definitions=(definition,)))
    raise KeyError(name)


def integration_variables(name: str) -> dict[str, Any]:
    examples: dict[str, dict[str, Any]] = json.loads((INTEGRATIONS / "variables.json").read_text())
    return examples[name]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool  # by the standardwebhooks verifier, with one of the receiver's secrets
    answered: int | None  # the status sent back; None when the request was held

    @property
    def message_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def payload(self) -> dict[str, Any]:
        decoded: dict[str, Any] = json.loads(self.body)
        return decoded

    @property
    def signatures(self) -> list[str]:
        return self.headers["webhook-signature"].split(" ")


@dataclass
class Receiver:
    secrets: list[str] = field(default_factory=list)
    # Statuses to answer, in order; once used up every request gets `default_status`.
    script: deque[int] = field(default_factory=deque)
    default_status: int = 204
    hold: bool = False  # leave requests unanswered until the connection drops
    reply: bytes | None = None  # the answer's body; None: a short text
    received: list[Received] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""
    _server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/hooks/medimyth"
        return self.url

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def verifies(self, body: bytes, headers: dict[str, str]) -> bool:
        for secret in self.secrets:
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            return True
        return False

    def unique_ids(self) -> set[str]:
        return {item.message_id for item in self.received}

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *lines = head.decode("latin-1").split("\r\n")
            headers = {
                name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in lines if line)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            path = request_line.split(" ")[1]
            verified = self.verifies(body, headers)
            item = Received(path=path, headers=headers, body=body, verified=verified, answered=None)
            self.received.append(item)
            self.arrived.set()
            if self.hold:
                await reader.read()  # until the sender's connection goes away
                return
            status = self.script.popleft() if self.script else self.default_status
            if not verified:
                status = 401  # what a real receiver does with a bad signature
            item.answered = status
            reply = self.reply if self.reply is not None else b"ok" if status < 300 else b"no"
            writer.write(
                f"HTTP/1.1 {status} X\r\nContent-Length: {len(reply)}\r\n"
                "Connection: close\r\n\r\n".encode()
                + reply
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
