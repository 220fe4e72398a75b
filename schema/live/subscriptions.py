"""Live subscriptions (graphql-transport-ws): each sends the current state, then every change.

A stream watches its session's key in the worker's hub (resolvers/platform/hub.py):
when the session is announced (or resynced) it reads the state again and yields it;
the transport sends it only when it differs from the last value sent
(schema/platform/transport.py). Between two values the stream holds no database
connection (``Context.renew``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator

import strawberry

from db.enums import AppointmentStatus
from db.outage import is_database_unavailable
from resolvers.booking import appointments
from resolvers.platform.changes import SessionKey
from resolvers.platform.errors import Forbidden
from resolvers.platform.hub import Hub
from schema.booking.types import Appointment
from schema.platform.context import Context, Info

logger = logging.getLogger("medimyth.live")

# Nothing changes an appointment in these statuses any more: its stream ends there.
FINAL_STATUSES = frozenset(
    {
        AppointmentStatus.COMPLETED,
        AppointmentStatus.CANCELLED_BY_PATIENT,
        AppointmentStatus.CANCELLED_BY_DOCTOR,
    }
)
NO_SUCH_APPOINTMENT = "No appointment matches this public id and manage token."


def _hub(ctx: Context) -> Hub:
    assert ctx.hub is not None  # subscriptions arrive only over WebSockets, which have one
    return ctx.hub


@strawberry.type
class LiveSubscription:
    @strawberry.subscription(
        description="Your booking, now and whenever it, your place or its estimate changes; "
        "ends when the appointment is final. Needs the manage token."
    )
    async def my_appointment(
        self, info: Info, public_id: str, manage_token: str
    ) -> AsyncGenerator[Appointment, None]:
        ctx = info.context
        found = await ctx.call(
            appointments.managed_appointment, public_id=public_id, manage_token=manage_token
        )
        if found is None:
            raise Forbidden(NO_SUCH_APPOINTMENT)
        await ctx.renew()
        async with _hub(ctx).watch(SessionKey(found.schedule_id, found.session_date)) as watch:
            while True:
                try:
                    current = await ctx.call(
                        appointments.managed_appointment,
                        public_id=public_id,
                        manage_token=manage_token,
                    )
                except Exception as error:
                    if not is_database_unavailable(error):
                        raise
                    # The database is restarting: the listener's reconnect (or the next
                    # poll) wakes this stream again, which then sends the current state.
                    await ctx.renew()
                    await watch.changed()
                    continue
                if current is None:
                    return  # the token no longer matches (nothing rotates it today)
                yield Appointment.from_model(current)
                await ctx.renew()
                if current.status in FINAL_STATUSES:
                    return
                await watch.changed()
