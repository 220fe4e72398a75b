"""Accounts' root queries: the signed-in account, and the doctors waiting for an admin."""

from __future__ import annotations

import strawberry

from resolvers.accounts import admin
from schema.accounts.types import Account, AccountConnection, account_connection
from schema.platform.context import Info


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The signed-in account, in any role and status.")
    async def me(self, info: Info) -> Account:
        return Account.from_model(await info.context.require_account())

    @strawberry.field(description="Doctors waiting for activation, oldest first (admins only).")
    async def pending_doctors(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> AccountConnection:
        await info.context.require_admin()
        async with info.context.db.use() as session:
            page = await admin.list_pending_doctors(session=session, first=first, after=after)
        return account_connection(page)
