"""The UserError interface, its codes, and the error types every domain shares.

A mutation's union lists the UserError types it can answer; each carries a
message for people and a ``code`` for programs, so a frontend switches on codes
instead of matching messages. A domain's own error types (SessionFull, say) live
with its results and implement the same interface.
"""

from __future__ import annotations

import re
from enum import Enum

import strawberry

from resolvers.platform import errors as results
from schema.platform.results import answers


@strawberry.enum(description="What went wrong, for programs: the error's type in SCREAMING_SNAKE.")
class UserErrorCode(Enum):
    ALREADY_EXISTS = "ALREADY_EXISTS"
    BOOKING_CLOSED = "BOOKING_CLOSED"
    BOOKING_NOT_OPEN = "BOOKING_NOT_OPEN"
    DOCTOR_ON_VACATION = "DOCTOR_ON_VACATION"
    DUPLICATE_BOOKING = "DUPLICATE_BOOKING"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    NOT_A_SCHEDULED_DATE = "NOT_A_SCHEDULED_DATE"
    NOT_ALLOWED = "NOT_ALLOWED"
    NOT_FOUND = "NOT_FOUND"
    OTP_INVALID = "OTP_INVALID"
    QUEUE_EMPTY = "QUEUE_EMPTY"
    RATE_LIMITED = "RATE_LIMITED"
    SCHEDULE_CONFLICT = "SCHEDULE_CONFLICT"
    SESSION_FULL = "SESSION_FULL"
    SESSION_NOT_FULL = "SESSION_NOT_FULL"
    VACATION_OVERLAP = "VACATION_OVERLAP"
    VALIDATION_FAILED = "VALIDATION_FAILED"


_WORD_START = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def code_of(type_name: str) -> UserErrorCode:
    """NotAScheduledDate -> NOT_A_SCHEDULED_DATE (a KeyError for a type without a code)."""
    return UserErrorCode[_WORD_START.sub("_", type_name).upper()]


@strawberry.interface(description="Something the user can fix; every mutation error implements it.")
class UserError:
    message: str

    @strawberry.field(description="The error's kind, stable across wording changes.")
    def code(self) -> UserErrorCode:
        return code_of(type(self).__name__)


FieldErrorCode = strawberry.enum(
    results.FieldProblem,
    name="FieldErrorCode",
    description="What is wrong with one field, for programs (the message is for people).",
)


@strawberry.type(description="A field's problem, named so a form can show it next to the field.")
class FieldError:
    field: str
    code: results.FieldProblem = strawberry.field(graphql_type=FieldErrorCode)
    message: str


@answers(results.ValidationFailed)
@strawberry.type
class ValidationFailed(UserError):
    errors: list[FieldError]

    @classmethod
    def from_result(cls, result: results.ValidationFailed) -> ValidationFailed:
        return cls(
            message=result.message,
            errors=[
                FieldError(field=e.field, code=e.code, message=e.message) for e in result.errors
            ],
        )


@answers(results.NotFound)
@strawberry.type(description="The thing asked for does not exist, or is not yours to see.")
class NotFound(UserError):
    pass


@answers(results.AlreadyExists)
@strawberry.type
class AlreadyExists(UserError):
    field: str


@answers(results.NotAllowed)
@strawberry.type(description="The action is not possible in the current state.")
class NotAllowed(UserError):
    pass


@answers(results.OtpInvalid)
@strawberry.type(description="The one-time code is wrong, expired, used, or for another purpose.")
class OtpInvalid(UserError):
    pass


@answers(results.RateLimited)
@strawberry.type(description="Slow down: retry after the given number of seconds.")
class RateLimited(UserError):
    retry_after: int
