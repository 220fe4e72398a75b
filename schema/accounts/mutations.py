"""Accounts' root mutations: codes, sign-up, sign-in, passwords, profile, an admin's review."""

from __future__ import annotations

import strawberry

from db.enums import OtpPurpose
from resolvers.accounts import admin, auth, codes, registration
from schema.accounts.inputs import RegisterDoctorInput, ResetPasswordInput, UpdateDoctorInput
from schema.accounts.results import (
    ChangePasswordResult,
    DoctorStatusResult,
    LoginResult,
    RegisterDoctorResult,
    RequestOtpResult,
    ResetPasswordResult,
    UpdateMyProfileResult,
)
from schema.platform.context import Info
from schema.platform.ids import int_id

# Each requestOtp texts a code, which the clinic pays for: one per request, so aliases
# cannot multiply a request into 30 sends (schema/platform/guards.py refuses the rest).
ONCE_PER_REQUEST = frozenset({"requestOtp"})


@strawberry.type
class AccountMutation:
    @strawberry.mutation(
        description=(
            "Text a 6-digit code to a mobile phone (one per minute, five per hour per phone; "
            "hourly budgets per client, number series and in all). At most one per request."
        )
    )
    async def request_otp(self, info: Info, phone: str, purpose: OtpPurpose) -> RequestOtpResult:
        return await info.context.answer(codes.request_code, phone=phone, purpose=purpose)

    @strawberry.mutation(description="Sign up as a doctor; the account waits for an admin.")
    async def register_doctor(self, info: Info, input: RegisterDoctorInput) -> RegisterDoctorResult:
        return await info.context.answer(
            registration.register_doctor, registration=input.to_resolver()
        )

    @strawberry.mutation(description="Sign in with email and password, in any account status.")
    async def login(self, info: Info, email: str, password: str) -> LoginResult:
        return await info.context.answer(auth.login, email=email, password=password)

    @strawberry.mutation(description="Set a new password with a code sent to the registered phone.")
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> ResetPasswordResult:
        return await info.context.answer(
            auth.reset_password,
            email=input.email,
            phone=input.phone,
            new_password=input.new_password,
            otp_code=input.otp_code,
        )

    @strawberry.mutation(description="Change the password; returns a new token, older ones stop.")
    async def change_password(
        self, info: Info, current_password: str, new_password: str
    ) -> ChangePasswordResult:
        account = await info.context.require_account()
        return await info.context.answer(
            auth.change_password,
            account_id=account.id,
            current_password=current_password,
            new_password=new_password,
        )

    @strawberry.mutation(description="Edit the signed-in doctor's profile and visibility flags.")
    async def update_my_profile(
        self, info: Info, input: UpdateDoctorInput
    ) -> UpdateMyProfileResult:
        doctor = await info.context.require_doctor()
        return await info.context.answer(
            registration.update_profile, account_id=doctor.id, changes=input.to_resolver()
        )

    @strawberry.mutation(description="Make a doctor public; MMD-<n> is assigned the first time.")
    async def activate_doctor(self, info: Info, doctor_id: strawberry.ID) -> DoctorStatusResult:
        await info.context.require_admin()
        return await info.context.answer(admin.activate_doctor, doctor_id=int_id(doctor_id))

    @strawberry.mutation(description="Hide a doctor from the public; they are told by email.")
    async def suspend_doctor(
        self, info: Info, doctor_id: strawberry.ID, reason: str | None = None
    ) -> DoctorStatusResult:
        await info.context.require_admin()
        return await info.context.answer(
            admin.suspend_doctor, doctor_id=int_id(doctor_id), reason=reason
        )
