"""Test helpers for the audit trail: an admin's token and the trail as the admin reads it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Account
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests import factories
from tests.accounts_support import token_for
from tests.conftest import GraphQLClient

AUDIT_EVENTS = """
query AuditEvents($first: Int, $after: String, $action: AuditAction, $actorId: ID) {
  auditEvents(first: $first, after: $after, action: $action, actorId: $actorId) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        id occurredAt action actorKind actor { id email }
        targetKind targetId clientAddress requestId details
      }
    }
  }
}
"""
# What the test client's requests come from (httpx's ASGI transport).
CLIENT_ADDRESS = "127.0.0.1"


async def signed_in_admin(
    session: AsyncSession,
    *,
    settings: Settings,
    clock: FixedClock,
    email: str = "admin@example.org",
) -> tuple[Account, str]:
    """A committed admin and a bearer token (issued directly: no sign-in, so nothing recorded)."""
    admin = await factories.make_admin(session, email=email)
    await session.commit()
    return admin, token_for(admin, settings=settings, clock=clock)


async def trail(gql: GraphQLClient, token: str, **variables: Any) -> list[dict[str, Any]]:
    """The audit events the admin sees, newest first (one page of up to 100)."""
    body = await gql(AUDIT_EVENTS, {"first": 100, **variables}, token=token)
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["auditEvents"]["edges"]]


def request_id(name: str) -> dict[str, str]:
    """An X-Request-ID header the server keeps (8 to 128 plain characters)."""
    return {"X-Request-ID": f"audit-test-{name}"}
