"""Request budgets: a client over its budget is answered 429 before its request is read.

Each request is charged to one budget: a signed-in request (a bearer token whose
signature and expiry hold; checked locally, no database) to its account, any other
to its client address. An account is the better name for a person than an address
(a clinic's or a mobile carrier's NAT puts many people behind one), and a token
cannot be forged, so a signed-in request is not charged to its address as well. A
token that does not verify is ignored here: the request is budgeted by address and
GraphQL answers it UNAUTHENTICATED.

The budgets live in PostgreSQL (resolvers/platform/budgets.py), so every worker and
every instance shares them: one statement per budgeted request, on a connection
checked out for it in autocommit (no BEGIN or COMMIT). Once a key is refused, this
worker remembers until when and refuses it again without asking the database, so a
flood costs the database one statement per refusal window, not one per request.
When the database cannot be asked the request goes through (it would fail on its
own, with a coded error, if it needs the database): a budget must never turn an
outage into a wall of 429s.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.clients import client_address
from db.session import Database
from resolvers.accounts.tokens import read_token
from resolvers.platform.budgets import (
    Budget,
    Charged,
    OverBudget,
    account_key,
    address_key,
    charge,
    prune,
)
from resolvers.platform.clock import Clock
from resolvers.platform.errors import ErrorCode
from resolvers.platform.keys import keyring_of
from schema.platform.view import refusal
from settings import Settings

logger = logging.getLogger("medimyth.budgets")

RETRY_AFTER_HEADER = "Retry-After"

# Never budgeted: a load balancer's probes must not be refused for the traffic they
# measure, and GraphiQL's assets are immutable files (the page itself is a request).
EXEMPT_PATHS = frozenset({"/healthz", "/readyz"})
EXEMPT_PREFIXES = ("/static/graphiql/",)
# Charges between prunes of whole budgets, per worker: one extra statement in a thousand.
PRUNE_EVERY = 1000
# Keys this worker remembers as refused; past that, expired ones are forgotten first.
REMEMBERED_REFUSALS = 10_000
# While the database cannot be asked, one warning per this many seconds.
WARN_EVERY_SECONDS = 60.0


def is_exempt(path: str) -> bool:
    return path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIXES)


def bearer_token(scope: Scope) -> str | None:
    scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class RequestBudgetMiddleware:
    """429 with Retry-After and code RATE_LIMITED for a client over its request budget."""

    def __init__(self, app: ASGIApp, *, settings: Settings, clock: Clock) -> None:
        self.app = app
        self.clock = clock
        self.keyring = keyring_of(settings)
        self.per_address = _budget(settings.request_budget_per_address)
        self.per_account = _budget(settings.request_budget_per_account)
        self._refused_until: dict[str, datetime] = {}
        self._charges = 0
        self._autocommit: tuple[Database, AsyncEngine] | None = None
        self._warned_at: float | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        now = self.clock.now()
        budgeted = self._budget_of(scope, now)
        if budgeted is not None:
            key, budget = budgeted
            verdict = self._remembered(key, now) or await self._charge(scope, key, budget, now)
            if isinstance(verdict, OverBudget):
                await _over_budget(verdict)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _budget_of(self, scope: Scope, now: datetime) -> tuple[str, Budget] | None:
        token = bearer_token(scope)
        if token is not None and self.per_account is not None:
            claims = read_token(token, keyring=self.keyring, now=now)
            if claims is not None:
                return account_key(claims.account_id), self.per_account
        if self.per_address is not None:
            return address_key(client_address(scope)), self.per_address
        return None

    def _remembered(self, key: str, now: datetime) -> OverBudget | None:
        until = self._refused_until.get(key)
        if until is None:
            return None
        if until <= now:
            del self._refused_until[key]
            return None
        return OverBudget(retry_after=until - now)

    async def _charge(
        self, scope: Scope, key: str, budget: Budget, now: datetime
    ) -> Charged | OverBudget:
        try:
            async with self._engine(scope["app"].state.database).connect() as connection:
                verdict = await charge(connection=connection, key=key, budget=budget, now=now)
                self._charges += 1
                if self._charges % PRUNE_EVERY == 0:
                    await prune(connection=connection, now=now)
        except Exception as error:  # noqa: BLE001 - any failure: let the request through
            self._warn(error)
            return Charged()
        if isinstance(verdict, OverBudget) and verdict.retry_after > timedelta(0):
            self._remember(key, now + verdict.retry_after)
        return verdict

    def _engine(self, database: Database) -> AsyncEngine:
        """The database's engine in autocommit: the charge is one statement, no BEGIN/COMMIT."""
        if self._autocommit is None or self._autocommit[0] is not database:
            engine = database.engine.execution_options(isolation_level="AUTOCOMMIT")
            self._autocommit = (database, engine)
        return self._autocommit[1]

    def _remember(self, key: str, until: datetime) -> None:
        if len(self._refused_until) >= REMEMBERED_REFUSALS:
            now = self.clock.now()
            self._refused_until = {k: u for k, u in self._refused_until.items() if u > now}
            if len(self._refused_until) >= REMEMBERED_REFUSALS:
                self._refused_until.clear()  # the database still knows; this is only a shortcut
        self._refused_until[key] = until

    def _warn(self, error: Exception) -> None:
        moment = time.monotonic()
        if self._warned_at is None or moment - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = moment
            logger.warning("request budgets unavailable, requests let through: %r", error)


def _budget(requests: int) -> Budget | None:
    return Budget(requests) if requests > 0 else None


def _over_budget(verdict: OverBudget) -> Response:
    seconds = verdict.retry_after_seconds
    response = refusal(
        429,
        f"Too many requests: try again in {seconds} seconds.",
        ErrorCode.RATE_LIMITED.value,
        extensions={"retryAfter": seconds},
    )
    response.headers[RETRY_AFTER_HEADER] = str(seconds)
    return response
