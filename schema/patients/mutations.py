"""Patients' root mutations: sign in with a phone code, move a booking to another session."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from resolvers.patients import reschedule, sign_in
from schema.patients.results import RescheduleResult, VerifyPhoneResult
from schema.platform.context import Info
from schema.platform.ids import int_id


@strawberry.type
class PatientsMutation:
    @strawberry.mutation(
        description="Trade a MANAGE_APPOINTMENTS code (requestOtp) for a 30-minute token that "
        "lists, cancels and moves this phone's bookings, and nothing else."
    )
    async def verify_phone(self, info: Info, phone: str, otp_code: str) -> VerifyPhoneResult:
        return await info.context.answer(sign_in.verify_phone, phone=phone, otp_code=otp_code)

    @strawberry.mutation(
        description="Move a booked appointment whose session has not started to another "
        "session (any doctor's), with its manage token or the phone token: the new place is "
        "taken and the old released together, or nothing changes.",
        graphql_type=RescheduleResult,
    )
    async def reschedule_my_appointment(
        self,
        info: Info,
        public_id: str,
        schedule_id: strawberry.ID,
        date: date,
        manage_token: str | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        request = reschedule.RescheduleRequest(
            public_id=public_id,
            manage_token=manage_token,
            schedule_id=int_id(schedule_id),
            day=date,
            idempotency_key=idempotency_key,
        )
        return await info.context.answer(reschedule.reschedule_my_appointment, request=request)
