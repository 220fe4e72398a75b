"""Account root fields: one-time codes, sign-up, sign-in, passwords, the doctor's own profile."""

from __future__ import annotations

from typing import Annotated

import strawberry

from db.enums import OtpPurpose
from resolvers.accounts import auth, registration
from resolvers.accounts.profiles import FormChecker
from resolvers.platform import errors as results
from resolvers.platform import otp
from resolvers.platform.errors import Problems
from schema.accounts.results import (
    AuthPayload,
    InvalidCredentials,
    OtpSent,
    PasswordChanged,
    ProfileUpdated,
)
from schema.accounts.types import Account
from schema.platform.context import Context, Info
from schema.platform.errors import (
    AlreadyExists,
    NotFound,
    OtpInvalid,
    RateLimited,
    ValidationFailed,
)
from schema.platform.ids import int_id

RequestOtpResult = Annotated[
    OtpSent | RateLimited | ValidationFailed, strawberry.union("RequestOtpResult")
]
RegisterDoctorResult = Annotated[
    AuthPayload | OtpInvalid | AlreadyExists | ValidationFailed,
    strawberry.union("RegisterDoctorResult"),
]
LoginResult = Annotated[
    AuthPayload | InvalidCredentials | RateLimited, strawberry.union("LoginResult")
]
ResetPasswordResult = Annotated[
    PasswordChanged | OtpInvalid | NotFound | ValidationFailed,
    strawberry.union("ResetPasswordResult"),
]
ChangePasswordResult = Annotated[
    AuthPayload | InvalidCredentials | ValidationFailed, strawberry.union("ChangePasswordResult")
]
UpdateMyProfileResult = Annotated[
    ProfileUpdated | AlreadyExists | ValidationFailed, strawberry.union("UpdateMyProfileResult")
]


@strawberry.input(description="A doctor's sign-up form, with the code sent to its phone.")
class RegisterDoctorInput:
    name: str
    email: str
    phone: str = strawberry.field(description="10 digits (default country) or +<country><number>.")
    password: str = strawberry.field(description="At least 10 characters.")
    registration_number: str = strawberry.field(description="The medical council's number.")
    address: str
    city: str
    otp_code: str = strawberry.field(
        description="The code from requestOtp(phone, REGISTER_DOCTOR) for this phone."
    )
    category_id: strawberry.ID | None = None
    category_label: str | None = strawberry.field(
        default=None, description="The specialty in words, when no category fits."
    )
    description: str | None = None
    referral_code: str | None = None
    profile_picture_url: str | None = None
    email_visible: bool = True
    phone_visible: bool = True
    registration_number_visible: bool = True
    time_zone: str | None = strawberry.field(
        default=None, description="An IANA name; the server's default when omitted."
    )

    def to_resolver(self) -> registration.Registration:
        return registration.Registration(
            name=self.name,
            email=self.email,
            phone=self.phone,
            password=self.password,
            registration_number=self.registration_number,
            address=self.address,
            city=self.city,
            otp_code=self.otp_code,
            category_id=None if self.category_id is None else int_id(self.category_id),
            category_label=self.category_label,
            description=self.description,
            referral_code=self.referral_code,
            profile_picture_url=self.profile_picture_url,
            email_visible=self.email_visible,
            phone_visible=self.phone_visible,
            registration_number_visible=self.registration_number_visible,
            time_zone=self.time_zone,
        )


@strawberry.input(
    description='A profile edit: null leaves a field as it is; "" clears an optional one.'
)
class UpdateDoctorInput:
    name: str | None = None
    phone: str | None = None
    registration_number: str | None = None
    address: str | None = None
    city: str | None = None
    category_id: strawberry.ID | None = None
    category_label: str | None = None
    description: str | None = None
    referral_code: str | None = None
    profile_picture_url: str | None = None
    email_visible: bool | None = None
    phone_visible: bool | None = None
    registration_number_visible: bool | None = None
    time_zone: str | None = None

    def to_resolver(self) -> registration.ProfileChanges:
        return registration.ProfileChanges(
            name=self.name,
            phone=self.phone,
            registration_number=self.registration_number,
            address=self.address,
            city=self.city,
            category_id=None if self.category_id is None else int_id(self.category_id),
            category_label=self.category_label,
            description=self.description,
            referral_code=self.referral_code,
            profile_picture_url=self.profile_picture_url,
            email_visible=self.email_visible,
            phone_visible=self.phone_visible,
            registration_number_visible=self.registration_number_visible,
            time_zone=self.time_zone,
        )


@strawberry.input(description="A new password, proven by the registered email, phone and a code.")
class ResetPasswordInput:
    email: str
    phone: str
    new_password: str
    otp_code: str = strawberry.field(description="The code from requestOtp(phone, RESET_PASSWORD).")


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The signed-in account, in any role and status.")
    async def me(self, info: Info) -> Account:
        return Account.from_model(await info.context.require_account())


@strawberry.type
class AccountMutation:
    @strawberry.mutation(
        description="Text a 6-digit code to a phone (one per minute, five per hour per phone)."
    )
    async def request_otp(self, info: Info, phone: str, purpose: OtpPurpose) -> RequestOtpResult:
        ctx = info.context
        form = FormChecker(Problems(), ctx.settings.default_country_code)
        e164 = form.phone("phone", phone)
        if (invalid := form.problems.result()) is not None:
            return ValidationFailed.from_result(invalid)
        async with ctx.db.use() as session:
            result = await otp.request_otp(
                session=session,
                phone=e164,
                purpose=purpose,
                now=ctx.clock.now(),
                secret=ctx.settings.secret_key,
            )
            await session.commit()
        if isinstance(result, results.RateLimited):
            return RateLimited.from_result(result)
        return OtpSent.from_result(result)

    @strawberry.mutation(description="Sign up as a doctor; the account waits for an admin.")
    async def register_doctor(self, info: Info, input: RegisterDoctorInput) -> RegisterDoctorResult:  # noqa: A002
        ctx = info.context
        async with ctx.db.use() as session:
            result = await registration.register_doctor(
                session=session,
                registration=input.to_resolver(),
                now=ctx.clock.now(),
                settings=ctx.settings,
            )
        if isinstance(result, auth.Authenticated):
            return AuthPayload.from_result(result)
        if isinstance(result, results.OtpInvalid):
            return OtpInvalid.from_result(result)
        if isinstance(result, results.AlreadyExists):
            return AlreadyExists.from_result(result)
        return ValidationFailed.from_result(result)

    @strawberry.mutation(description="Sign in with email and password, in any account status.")
    async def login(self, info: Info, email: str, password: str) -> LoginResult:
        ctx = info.context
        async with ctx.db.use() as session:
            result = await auth.login(
                session=session,
                email=email,
                password=password,
                client_address=_client_address(ctx),
                now=ctx.clock.now(),
                settings=ctx.settings,
            )
        if isinstance(result, auth.Authenticated):
            return AuthPayload.from_result(result)
        if isinstance(result, auth.InvalidCredentials):
            return InvalidCredentials.from_result(result)
        return RateLimited.from_result(result)

    @strawberry.mutation(description="Set a new password with a code sent to the registered phone.")
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> ResetPasswordResult:  # noqa: A002
        ctx = info.context
        async with ctx.db.use() as session:
            result = await auth.reset_password(
                session=session,
                email=input.email,
                phone=input.phone,
                new_password=input.new_password,
                otp_code=input.otp_code,
                now=ctx.clock.now(),
                settings=ctx.settings,
            )
        if isinstance(result, auth.PasswordChanged):
            return PasswordChanged.from_result(result)
        if isinstance(result, results.OtpInvalid):
            return OtpInvalid.from_result(result)
        if isinstance(result, results.NotFound):
            return NotFound.from_result(result)
        return ValidationFailed.from_result(result)

    @strawberry.mutation(description="Change the password; returns a new token, older ones stop.")
    async def change_password(
        self, info: Info, current_password: str, new_password: str
    ) -> ChangePasswordResult:
        ctx = info.context
        account = await ctx.require_account()
        async with ctx.db.use() as session:
            result = await auth.change_password(
                session=session,
                account_id=account.id,
                current_password=current_password,
                new_password=new_password,
                client_address=_client_address(ctx),
                now=ctx.clock.now(),
                settings=ctx.settings,
            )
        if isinstance(result, auth.Authenticated):
            return AuthPayload.from_result(result)
        if isinstance(result, auth.InvalidCredentials):
            return InvalidCredentials.from_result(result)
        return ValidationFailed.from_result(result)

    @strawberry.mutation(description="Edit the signed-in doctor's profile and visibility flags.")
    async def update_my_profile(
        self,
        info: Info,
        input: UpdateDoctorInput,  # noqa: A002 - the contract's argument name
    ) -> UpdateMyProfileResult:
        ctx = info.context
        doctor = await ctx.require_doctor()
        async with ctx.db.use() as session:
            result = await registration.update_profile(
                session=session,
                account_id=doctor.id,
                changes=input.to_resolver(),
                now=ctx.clock.now(),
                settings=ctx.settings,
            )
        if isinstance(result, registration.ProfileUpdated):
            return ProfileUpdated.from_result(result)
        if isinstance(result, results.AlreadyExists):
            return AlreadyExists.from_result(result)
        return ValidationFailed.from_result(result)


def _client_address(ctx: Context) -> str:
    # Behind a proxy, uvicorn's proxy-headers support (FORWARDED_ALLOW_IPS) puts the real
    # client here; the limit then counts people, not the proxy.
    client = ctx.request.client
    return client.host if client is not None else "unknown"
