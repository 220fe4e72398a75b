"""gunicorn's workers take turns accepting: the one holding the fewest connections takes the next.

All workers accept from the master's one listening socket. Left to itself, uvloop
accepts every pending connection in one go, so whichever worker wakes first takes
most of a burst (16 keep-alive clients were seen split 11/5 and 13/3), and that
worker's clients wait behind each other for the rest of their lives.

Here each worker accepts itself, one connection at a time (``loop.add_reader``,
``socket.accept``, ``loop.connect_accepted_socket``: asyncio's public API, which
uvloop implements), and first reads the others' open connections from a table in
shared memory that the master maps before it forks: a worker holding more than the
fewest steps aside for ``STEP_ASIDE_SECONDS`` while a peer accepts. A pending
connection that nobody with fewer took within ``GRACE_SECONDS`` (that peer is busy,
stuck or booting) is accepted anyway, so stepping aside never strands a client.

Kept as it was: the one socket (unix sockets, IPv6, ``PORT``, USR2 re-exec and
respawns behave as before, and a worker that stops or dies drops nothing queued,
which is what per-worker ``SO_REUSEPORT`` sockets would do, and their hashing is no
more even than chance). ``WORKER_BALANCE=false`` leaves accepting to uvloop.
"""

from __future__ import annotations

import asyncio
import logging
import mmap
import select
import socket
import ssl
from collections.abc import Callable
from typing import Any

import uvicorn

logger = logging.getLogger("medimyth.http")

# BalancedServer builds each connection's protocol as Uvicorn's own startup does
# (config.http_protocol_class, server_state, lifespan.state): not documented API, so
# it runs only on the Uvicorn it was written and tested against (requirements.txt);
# any other version accepts the stock way, with a warning (``supported``).
UVICORN_VERSION = "0.54.0"
# Workers the table has room for; a worker beyond it (TTIN far past the cores)
# accepts without looking.
SLOTS = 256
STEP_ASIDE_SECONDS = 0.002
GRACE_SECONDS = 0.05
# Connections one readiness callback accepts before the loop serves everything else.
BATCH = 16
_LEFT = -1

# Mapped by the master at its first fork and inherited by every worker: index 0 is
# the highest slot ever handed out, then each slot's open connections or _LEFT.
_table: memoryview | None = None


def supported() -> bool:
    """Whether this Uvicorn is the one the accept loop was written for; else say so once."""
    if uvicorn.__version__ == UVICORN_VERSION:
        return True
    logger.warning(
        "WORKER_BALANCE: Uvicorn %s is not %s; workers accept the stock way",
        uvicorn.__version__,
        UVICORN_VERSION,
    )
    return False


def assign(server: Any, worker: Any) -> None:
    """gunicorn's pre_fork (in the master): give the worker about to be forked a free slot."""
    global _table
    if _table is None:
        _table = memoryview(mmap.mmap(-1, 8 * (SLOTS + 1))).cast("q")
        for index in range(1, SLOTS + 1):
            _table[index] = _LEFT
    taken = {getattr(peer, "balance_slot", None) for peer in server.WORKERS.values()}
    slot = next((index for index in range(1, SLOTS + 1) if index not in taken), None)
    worker.balance_slot = slot
    if slot is not None:
        _table[slot] = _LEFT
        _table[0] = max(_table[0], slot)


def release(worker: Any) -> None:
    """gunicorn's child_exit (in the master): a worker that died, even by SIGKILL, holds nothing."""
    slot = getattr(worker, "balance_slot", None)
    if _table is not None and slot is not None:
        _table[slot] = _LEFT


class Share:
    """One worker's row in the table: what it publishes, and whether it holds the fewest."""

    def __init__(self, table: memoryview | None, slot: int | None) -> None:
        self._table = table if slot is not None else None
        self._slot = slot or 0
        self._left = False

    @classmethod
    def of(cls, worker: Any) -> Share:
        return cls(_table, getattr(worker, "balance_slot", None))

    def publish(self, connections: int) -> None:
        if self._table is not None and not self._left:
            self._table[self._slot] = connections

    def leave(self) -> None:
        """Stop counting for the others: this worker accepts no more."""
        if self._table is not None:
            self._table[self._slot] = _LEFT
        self._left = True

    def fewest(self) -> bool:
        if self._table is None:
            return True
        counts = self._table[1 : self._table[0] + 1].tolist()
        mine = counts[self._slot - 1]
        return all(count == _LEFT or count >= mine for count in counts)


class _Counted(set[Any]):
    """Uvicorn's set of open connections (HTTP and WebSocket), publishing its size on change."""

    def __init__(self, changed: Callable[[], None]) -> None:
        super().__init__()
        self._changed = changed

    def add(self, item: Any) -> None:
        super().add(item)
        self._changed()

    def discard(self, item: Any) -> None:
        super().discard(item)
        self._changed()


class BalancedServer(uvicorn.Server):
    """Uvicorn's server, accepting from gunicorn's sockets itself, in turn with its peers."""

    def __init__(self, config: uvicorn.Config, *, share: Share) -> None:
        super().__init__(config)
        self.share = share
        self.server_state.connections = _Counted(self._publish)
        # Accepted, not yet handed to a protocol (which joins server_state.connections).
        self._opening = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._acceptors: list[_Acceptor] = []

    def _publish(self) -> None:
        self.share.publish(len(self.server_state.connections) + self._opening)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        # Lifespan and state as Uvicorn does them; no server of its own on the sockets.
        await super().startup(sockets=[])
        for sock in sockets or []:
            self._acceptors.append(_Acceptor(self, sock))
        self._publish()
        for acceptor in self._acceptors:
            acceptor.start()
        logger.info("Accepting in turn with the other workers")

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for acceptor in self._acceptors:
            acceptor.stop()
        self.share.leave()
        await super().shutdown(sockets=sockets)

    def accepted(self, conn: socket.socket) -> None:
        self._opening += 1
        self._publish()
        task = asyncio.get_running_loop().create_task(self._open(conn))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _open(self, conn: socket.socket) -> None:
        made = False

        def protocol() -> asyncio.Protocol:
            # The connection moves from opening to server_state.connections (its
            # connection_made, next) without being counted twice in between.
            nonlocal made
            made = True
            self._opening -= 1
            # What Uvicorn's own create_server builds for each connection.
            return self.config.http_protocol_class(  # type: ignore[call-arg]
                config=self.config, server_state=self.server_state, app_state=self.lifespan.state
            )

        try:
            tls: ssl.SSLContext | None = self.config.ssl
            await asyncio.get_running_loop().connect_accepted_socket(protocol, conn, ssl=tls)
        except (OSError, ssl.SSLError) as error:
            # The peer left, or its TLS handshake failed: nothing to serve.
            logger.debug("connection not opened: %s", error)
            conn.close()
        finally:
            if not made:
                self._opening -= 1
            self._publish()


class _Acceptor:
    """Accepts from one listening socket while its worker holds the fewest connections."""

    def __init__(self, server: BalancedServer, sock: socket.socket) -> None:
        self._server = server
        self._sock = sock
        self._fd = sock.fileno()
        self._loop = asyncio.get_running_loop()
        self._reading = False
        self._resume: asyncio.TimerHandle | None = None
        # When this worker first stepped aside for the connection now pending.
        self._aside_since: float | None = None

    def start(self) -> None:
        self._sock.setblocking(False)
        self._loop.add_reader(self._fd, self._ready)
        self._reading = True

    def stop(self) -> None:
        if self._reading:
            self._loop.remove_reader(self._fd)
            self._reading = False
        if self._resume is not None:
            self._resume.cancel()
            self._resume = None

    def _ready(self) -> None:
        for _ in range(BATCH):
            if not self._server.share.fewest():
                now = self._loop.time()
                if self._aside_since is None:
                    self._aside_since = now
                if now - self._aside_since < GRACE_SECONDS:
                    self._step_aside()
                    return
            try:
                conn, _ = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                self._aside_since = None
                return
            except ConnectionAbortedError:
                continue
            except OSError as error:
                # Out of descriptors (EMFILE, ENFILE) or memory: the connection waits in
                # the backlog, for a peer or for this worker once it has closed some.
                logger.warning("accept failed: %s", error)
                self._step_aside()
                return
            self._aside_since = None
            conn.setblocking(False)
            self._server.accepted(conn)

    def _step_aside(self) -> None:
        self._loop.remove_reader(self._fd)
        self._reading = False
        self._resume = self._loop.call_later(STEP_ASIDE_SECONDS, self._come_back)

    def _come_back(self) -> None:
        self._resume = None
        if not _readable(self._fd):
            # A peer took what was pending: the next connection starts a new wait.
            self._aside_since = None
        self._loop.add_reader(self._fd, self._ready)
        self._reading = True


def _readable(fd: int) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))
