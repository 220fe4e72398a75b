"""The database keeps the trail append-only: the app's own connection cannot change a row."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from db.session import Database
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.audit_support import signed_in_admin, trail
from tests.conftest import GraphQLClient
from tests.operations import operation

TAMPERING = [
    "UPDATE audit_events SET details = '{}'::jsonb, actor_account_id = NULL",
    "UPDATE audit_events SET request_id = 'forged' WHERE false",  # even when nothing matches
    "DELETE FROM audit_events",
    "DELETE FROM audit_events WHERE false",
    "TRUNCATE audit_events",
    "INSERT INTO audit_events (id, occurred_at, action, actor_kind) OVERRIDING SYSTEM VALUE"
    " VALUES (1, now(), 'LOGIN_SUCCEEDED', 'SYSTEM')"
    " ON CONFLICT (id) DO UPDATE SET action = 'LOGIN_FAILED'",
]


@pytest.mark.parametrize("statement", TAMPERING)
async def test_the_apps_connection_can_neither_update_delete_nor_truncate_the_trail(
    statement: str,
    gql: GraphQLClient,
    session: AsyncSession,
    database: Database,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given a recorded action
    _, token = await signed_in_admin(session, settings=settings, clock=clock)
    await gql(operation("CreateCategory"), {"name": "Cardiology"}, token=token)
    before = await trail(gql, token)
    # when the application's engine (its role, its pool) tries to change it
    with pytest.raises(DBAPIError) as refused:
        async with database.engine.begin() as connection:
            await connection.execute(text(statement))
    # then the database refuses, and the record is as it was
    assert "audit_events is append-only" in str(refused.value)
    assert getattr(refused.value.orig, "sqlstate", None) == "42501"
    assert len(before) == 1
    assert await trail(gql, token) == before
