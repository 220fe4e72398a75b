"""The app as `make bench` serves it: MediMyth's ASGI app plus a statements-per-request header.

Run by gunicorn as ``bench.server:app``. The wrapper counts the SQL statements
each request sends (db/stats, the same counter the statement-budget tests use)
and answers them in ``x-bench-statements``, so the load client reports
statements per request measured server-side, and names the worker process in
``x-bench-worker``, so the client can spread its connections evenly. It costs a
context variable and two headers per request, nothing per statement beyond the
counter the app always has.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import app as medimyth
from bench.client import WORKER_HEADER, worker_id
from db.stats import counting_statements


class StatementHeader:
    def __init__(self, inner: ASGIApp) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        with counting_statements() as log:

            async def send_counted(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers", []))
                    headers.append((b"x-bench-statements", str(log.count).encode()))
                    headers.append((WORKER_HEADER, worker_id()))
                    message = {**message, "headers": headers}
                await send(message)

            await self.inner(scope, receive, send_counted)


app = StatementHeader(medimyth)
