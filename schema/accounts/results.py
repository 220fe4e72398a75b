"""Results of the account mutations: tokens, sent codes, and their own error types."""

from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.accounts import auth, registration
from resolvers.platform import otp
from schema.accounts.types import Account
from schema.platform.errors import UserError


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


@strawberry.type(description="The email or password is wrong (which one is not said).")
class InvalidCredentials(UserError):
    @classmethod
    def from_result(cls, result: auth.InvalidCredentials) -> InvalidCredentials:
        return cls(message=result.message)


@strawberry.type(description="The password was changed; tokens issued before no longer work.")
class PasswordChanged:
    message: str

    @classmethod
    def from_result(cls, result: auth.PasswordChanged) -> PasswordChanged:
        return cls(message=result.message)


@strawberry.type(description="A code is on its way to the phone, by SMS.")
class OtpSent:
    phone: str = strawberry.field(description="The number the code went to, in E.164.")
    expires_at: datetime
    resend_available_at: datetime

    @classmethod
    def from_result(cls, result: otp.OtpSent) -> OtpSent:
        return cls(
            phone=result.phone,
            expires_at=result.expires_at,
            resend_available_at=result.resend_available_at,
        )


@strawberry.type(description="The profile was saved.")
class ProfileUpdated:
    account: Account

    @classmethod
    def from_result(cls, result: registration.ProfileUpdated) -> ProfileUpdated:
        return cls(account=Account.from_model(result.account))
