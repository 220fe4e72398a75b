"""Accounts' mutation results: tokens, sent codes, saved profiles and statuses, their errors."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from resolvers.accounts import admin, auth, registration
from resolvers.platform import otp
from schema.accounts.types import Account
from schema.platform.results import answers
from schema.platform.user_errors import (
    AlreadyExists,
    NotFound,
    OtpInvalid,
    RateLimited,
    UserError,
    ValidationFailed,
)


@answers(auth.Authenticated)
@strawberry.type(description="A signed access token and the account it signs in.")
class AuthPayload:
    access_token: str = strawberry.field(
        description='Send as "Authorization: Bearer <accessToken>".'
    )
    expires_at: datetime
    account: Account

    @classmethod
    def from_result(cls, result: auth.Authenticated) -> AuthPayload:
        return cls(
            access_token=result.token.token,
            expires_at=result.token.expires_at,
            account=Account.from_model(result.account),
        )


@answers(auth.InvalidCredentials)
@strawberry.type(description="The email or password is wrong (which one is not said).")
class InvalidCredentials(UserError):
    pass


@answers(auth.PasswordChanged)
@strawberry.type(description="The password was changed; tokens issued before no longer work.")
class PasswordChanged:
    message: str


@answers(otp.OtpSent)
@strawberry.type(description="A code is on its way to the phone, by SMS.")
class OtpSent:
    phone: str = strawberry.field(description="The number the code went to, in E.164.")
    expires_at: datetime
    resend_available_at: datetime


@answers(registration.ProfileUpdated, account=Account.from_model)
@strawberry.type(description="The profile was saved.")
class ProfileUpdated:
    account: Account


@answers(admin.DoctorStatusChanged, account=Account.from_model)
@strawberry.type(description="A doctor's status was set; the account as it is now.")
class DoctorStatusChanged:
    account: Account


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
DoctorStatusResult = Annotated[
    DoctorStatusChanged | NotFound, strawberry.union("DoctorStatusResult")
]
