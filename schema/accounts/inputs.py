"""Accounts' inputs: the sign-up form, profile edits, a password reset."""

from __future__ import annotations

import strawberry

from resolvers.accounts import registration
from schema.platform.ids import int_id
from schema.platform.inputs import convert


def _category_id(raw: strawberry.ID | None) -> int | None:
    return None if raw is None else int_id(raw)


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
        return convert(self, registration.Registration, category_id=_category_id(self.category_id))


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
        return convert(
            self, registration.ProfileChanges, category_id=_category_id(self.category_id)
        )


@strawberry.input(description="A new password, proven by the registered email, phone and a code.")
class ResetPasswordInput:
    email: str
    phone: str
    new_password: str
    otp_code: str = strawberry.field(description="The code from requestOtp(phone, RESET_PASSWORD).")
