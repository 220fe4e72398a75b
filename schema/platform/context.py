"""The per-request GraphQL context: the guarded session, fresh loaders, the clock, the viewer."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any, TypeAlias, TypeVar

from starlette.requests import HTTPConnection
from starlette.responses import Response
from strawberry.types import Info as StrawberryInfo

from db.enums import AccountRole, DoctorStatus
from db.models import Account
from db.session import RequestSession
from resolvers.accounts.standing import refuse_suspended
from resolvers.accounts.tokens import read_token
from resolvers.loaders import Loaders
from resolvers.patients.tokens import read_patient_token
from resolvers.platform.addresses import counted_address
from resolvers.platform.audit import Actor
from resolvers.platform.clock import Clock
from resolvers.platform.errors import Forbidden, Unauthenticated
from resolvers.platform.hub import Hub
from resolvers.platform.keys import Keyring, keyring_of
from schema.platform.request_facts import current_request_id
from schema.platform.results import answer
from settings import Settings

_UNSET = object()
T = TypeVar("T")

# What the request itself knows, handed to any resolver that takes it as a keyword
# argument (Context.call): root fields pass only what the client sent.
SUPPLIED: dict[str, Callable[[Context], Any]] = {
    "now": lambda ctx: ctx.clock.now(),
    "settings": lambda ctx: ctx.settings,
    "keyring": lambda ctx: ctx.keyring,
    "default_country_code": lambda ctx: ctx.settings.default_country_code,
    "client_address": lambda ctx: ctx.client_address,
    "actor": lambda ctx: ctx.actor(),
}


@cache
def supplied_to(resolver: Callable[..., Any]) -> tuple[str, ...]:
    """The SUPPLIED names among the resolver's keyword-only parameters; read once per resolver."""
    parameters = inspect.signature(resolver).parameters
    return tuple(
        name
        for name in SUPPLIED
        if name in parameters and parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
    )


@dataclass
class Context:
    # An HTTP request, or the WebSocket a subscription came on.
    request: HTTPConnection
    response: Response
    db: RequestSession
    loaders: Loaders
    clock: Clock
    settings: Settings
    # Live updates (WebSockets only): the worker's hub, and where an operation's own
    # request session comes from (schema/platform/transport.py).
    hub: Hub | None = None
    sessions: Callable[[], RequestSession] | None = None
    _viewer: object = field(default=_UNSET, repr=False)
    _patient_phone: object = field(default=_UNSET, repr=False)

    def for_operation(self) -> Context:
        """A context for one subscription on this socket: its own read-only session and loaders."""
        assert self.sessions is not None
        db = self.sessions()
        db.only_reads()
        return replace(self, db=db, loaders=Loaders(db))

    async def renew(self) -> None:
        """Between two values of a stream: hand the connection back, and forget what was loaded.

        A stream lives for hours; it must hold no pooled connection while it waits, and
        its next value must not come from the loaders' cache of the last one.
        """
        await self.db.close()
        self.loaders = Loaders(self.db)

    @property
    def client_host(self) -> str | None:
        """The address the request came from (behind trusted proxies, app/proxies.py's choice)."""
        client = self.request.client
        return client.host if client is not None else None

    @property
    def client_address(self) -> str:
        """Who every limit counts as one client (resolvers/platform/addresses.py)."""
        return counted_address(self.client_host)

    @property
    def keyring(self) -> Keyring:
        return keyring_of(self.settings)

    def actor(self) -> Actor:
        """Who acts in this request, for the audit trail.

        The signed-in account once the root field has checked it (``require_account``,
        ``require_doctor``, ``require_admin`` load it), else nobody: a sign-in or a reset
        acts anonymously, whatever token came along. An anonymous actor carries the
        phone of a valid patient token (``patient_phone``), for the patient's own changes.
        """
        # The exact address, not the counted one (an IPv6 client's /64): the trail says
        # where a request came from, the limits whom to count.
        anonymous = Actor.anonymous(
            client_address=self.client_host, request_id=current_request_id()
        )
        viewer = self._viewer
        if isinstance(viewer, Account):
            return anonymous.as_account(viewer)
        phone = self.patient_phone()
        return anonymous if phone is None else anonymous.as_patient(phone)

    def bearer_token(self) -> str | None:
        header = self.request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return token.strip()

    async def viewer(self) -> Account | None:
        """The account whose valid, current token came with the request; None for the public.

        A token stops working when it expires or when the account's token version
        moved past it (password change or reset). Loaded once per request.
        """
        if self._viewer is _UNSET:
            self._viewer = await self._load_viewer()
        assert self._viewer is None or isinstance(self._viewer, Account)
        return self._viewer

    async def _load_viewer(self) -> Account | None:
        token = self.bearer_token()
        if token is None:
            return None
        claims = read_token(token, keyring=self.keyring, now=self.clock.now())
        if claims is None:
            return None
        account = await self.loaders.account_by_id.load(claims.account_id)
        if account is None or account.token_version != claims.version:
            return None
        return account

    def patient_phone(self) -> str | None:
        """The phone (E.164) a valid, unexpired patient token came with; else None.

        Checked by signature alone (no database): the token lasts minutes and only ever
        opens that phone's bookings. An account's token is never one (resolvers/patients/tokens.py).
        """
        if self._patient_phone is _UNSET:
            token = self.bearer_token()
            self._patient_phone = (
                None
                if token is None
                else read_patient_token(token, keyring=self.keyring, now=self.clock.now())
            )
        assert self._patient_phone is None or isinstance(self._patient_phone, str)
        return self._patient_phone

    def require_patient(self) -> str:
        """The phone of the request's patient token, or an UNAUTHENTICATED error."""
        phone = self.patient_phone()
        if phone is None:
            if self.bearer_token() is None:
                raise Unauthenticated(
                    "Sign in with your phone: this needs the token from verifyPhone."
                )
            raise Unauthenticated("The phone token is invalid or expired; verify your phone again.")
        return phone

    async def require_account(self) -> Account:
        """The signed-in account (any role, any status), or an UNAUTHENTICATED error."""
        account = await self.viewer()
        if account is None:
            if self.bearer_token() is None:
                raise Unauthenticated("Sign in: this needs an Authorization: Bearer token.")
            raise Unauthenticated("The access token is invalid or expired; sign in again.")
        return account

    async def require_doctor(self) -> Account:
        """A signed-in doctor who is not suspended, or an UNAUTHENTICATED or FORBIDDEN error.

        Every doctor-only field asks for this: their patients, schedules, vacations and
        profile edits. A pending doctor passes (and may edit their profile while they
        wait); a suspended one may only sign in, read ``me`` and change their password,
        which ask for ``require_account`` instead (resolvers/accounts/standing.py).
        """
        account = await self.require_account()
        if account.role is not AccountRole.DOCTOR:
            raise Forbidden("Only doctors can do this.")
        refuse_suspended(account)
        return account

    async def require_admin(self) -> Account:
        account = await self.require_account()
        if account.role is not AccountRole.ADMIN:
            raise Forbidden("Only admins can do this.")
        return account

    async def call(self, resolver: Callable[..., Awaitable[T]], /, **arguments: Any) -> T:
        """``resolver(session=..., **arguments)`` on the request's session, borrowed for the call.

        What every root field does with a resolver; typed by the resolver's result (its
        keyword arguments are checked by the tests that run every operation, not by mypy).
        Keyword arguments named in SUPPLIED and not given are the request's own. A result
        that carries what its answer reads (``prime_loaders``, as a booking does) hands
        it to the request's loaders, so the answer needs no statement after the
        resolver's commit.
        """
        for name in supplied_to(resolver):
            if name not in arguments:
                arguments[name] = SUPPLIED[name](self)
        async with self.db.use() as session:
            result = await resolver(session=session, **arguments)
        prime = getattr(result, "prime_loaders", None)
        if prime is not None:
            prime(self.loaders)
        return result

    async def answer(self, resolver: Callable[..., Awaitable[object]], /, **arguments: Any) -> Any:
        """``call``, then the result as its GraphQL type (schema/platform/results.py)."""
        return answer(await self.call(resolver, **arguments))

    @staticmethod
    def is_active_doctor(account: Account) -> bool:
        return account.role is AccountRole.DOCTOR and account.status is DoctorStatus.ACTIVE


Info: TypeAlias = StrawberryInfo[Context, None]
