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
from schema.platform.context import Context, Info
from schema.platform.ids import int_id
from schema.platform.results import answer


@strawberry.type
class AccountMutation:
    @strawberry.mutation(
        description="Text a 6-digit code to a phone (one per minute, five per hour per phone)."
    )
    async def request_otp(self, info: Info, phone: str, purpose: OtpPurpose) -> RequestOtpResult:
        ctx = info.context
        return answer(
            await ctx.call(
                codes.request_code,
                phone=phone,
                purpose=purpose,
                now=ctx.clock.now(),
                secret=ctx.settings.secret_key,
                default_country_code=ctx.settings.default_country_code,
            )
        )

    @strawberry.mutation(description="Sign up as a doctor; the account waits for an admin.")
    async def register_doctor(self, info: Info, input: RegisterDoctorInput) -> RegisterDoctorResult:
        ctx = info.context
        return answer(
            await ctx.call(
                registration.register_doctor,
                registration=input.to_resolver(),
                now=ctx.clock.now(),
                settings=ctx.settings,
            )
        )

    @strawberry.mutation(description="Sign in with email and password, in any account status.")
    async def login(self, info: Info, email: str, password: str) -> LoginResult:
        ctx = info.context
        return answer(
            await ctx.call(
                auth.login,
                email=email,
                password=password,
                client_address=_client_address(ctx),
                now=ctx.clock.now(),
                settings=ctx.settings,
            )
        )

    @strawberry.mutation(description="Set a new password with a code sent to the registered phone.")
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> ResetPasswordResult:
        ctx = info.context
        return answer(
            await ctx.call(
                auth.reset_password,
                email=input.email,
                phone=input.phone,
                new_password=input.new_password,
                otp_code=input.otp_code,
                now=ctx.clock.now(),
                settings=ctx.settings,
            )
        )

    @strawberry.mutation(description="Change the password; returns a new token, older ones stop.")
    async def change_password(
        self, info: Info, current_password: str, new_password: str
    ) -> ChangePasswordResult:
        ctx = info.context
        account = await ctx.require_account()
        return answer(
            await ctx.call(
                auth.change_password,
                account_id=account.id,
                current_password=current_password,
                new_password=new_password,
                client_address=_client_address(ctx),
                now=ctx.clock.now(),
                settings=ctx.settings,
            )
        )

    @strawberry.mutation(description="Edit the signed-in doctor's profile and visibility flags.")
    async def update_my_profile(
        self, info: Info, input: UpdateDoctorInput
    ) -> UpdateMyProfileResult:
        ctx = info.context
        doctor = await ctx.require_doctor()
        return answer(
            await ctx.call(
                registration.update_profile,
                account_id=doctor.id,
                changes=input.to_resolver(),
                now=ctx.clock.now(),
                settings=ctx.settings,
            )
        )

    @strawberry.mutation(description="Make a doctor public; MMD-<n> is assigned the first time.")
    async def activate_doctor(self, info: Info, doctor_id: strawberry.ID) -> DoctorStatusResult:
        ctx = info.context
        await ctx.require_admin()
        return answer(
            await ctx.call(admin.activate_doctor, doctor_id=int_id(doctor_id), now=ctx.clock.now())
        )

    @strawberry.mutation(description="Hide a doctor from the public; they are told by email.")
    async def suspend_doctor(
        self, info: Info, doctor_id: strawberry.ID, reason: str | None = None
    ) -> DoctorStatusResult:
        ctx = info.context
        await ctx.require_admin()
        return answer(
            await ctx.call(
                admin.suspend_doctor,
                doctor_id=int_id(doctor_id),
                reason=reason,
                now=ctx.clock.now(),
            )
        )


def _client_address(ctx: Context) -> str:
    # Behind a proxy, uvicorn's proxy-headers support (FORWARDED_ALLOW_IPS) puts the real
    # client here; the limit then counts people, not the proxy.
    client = ctx.request.client
    return client.host if client is not None else "unknown"
