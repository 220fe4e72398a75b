"""Who acts and through which request: what every audited change records beside itself."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace

from db.enums import AccountRole, ActorKind
from db.models import Account


@dataclass(frozen=True, slots=True)
class Actor:
    """The actor of a change, with the client address and request id it came through.

    The schema layer builds one per request; resolvers take it as a keyword argument, so
    they stay callable without GraphQL (``Actor.system()`` from a command or a test).
    """

    kind: ActorKind
    account_id: int | None = None
    client_address: str | None = None
    request_id: str | None = None
    # The phone a patient token proved (verifyPhone), else None. Never recorded in the
    # trail: a patient acting is ANONYMOUS there, and the phone stays on the appointment.
    patient_phone: str | None = None

    @classmethod
    def anonymous(cls, *, client_address: str | None, request_id: str | None) -> Actor:
        return cls(ActorKind.ANONYMOUS, None, _address(client_address), request_id)

    @classmethod
    def system(cls) -> Actor:
        return cls(ActorKind.SYSTEM)

    def as_account(self, account: Account) -> Actor:
        """The same request, acted in by this account (after signing in, or when signed in)."""
        kind = ActorKind.ADMIN if account.role is AccountRole.ADMIN else ActorKind.DOCTOR
        return replace(self, kind=kind, account_id=account.id)

    def as_patient(self, phone: str) -> Actor:
        """The same anonymous request, by whoever proved this phone (E.164)."""
        return replace(self, patient_phone=phone)


def _address(raw: str | None) -> str | None:
    # The column is inet: anything but an address (a test client's "testclient", a
    # proxy's placeholder) is recorded as unknown rather than failing the action.
    if raw is None:
        return None
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None
