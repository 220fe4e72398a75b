"""What can go wrong: coded exceptions for request errors, typed results for users' mistakes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    # Over a request budget (app/budgets.py): answered with HTTP 429 before GraphQL runs,
    # with extensions.retryAfter in seconds, the same number as the Retry-After header.
    RATE_LIMITED = "RATE_LIMITED"


class CodedError(Exception):
    """An error that ends the whole field with a top-level GraphQL error and a code."""

    code: ErrorCode = ErrorCode.INTERNAL_SERVER_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(CodedError):
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(CodedError):
    code = ErrorCode.FORBIDDEN


class BadUserInput(CodedError):
    code = ErrorCode.BAD_USER_INPUT


# Typed results: a mutation returns one of these instead of raising, and the
# schema turns each into its GraphQL error type (all implement UserError).


class FieldProblem(StrEnum):
    """What is wrong with a field, for a client to branch on (the message is for people)."""

    REQUIRED = "REQUIRED"  # missing or blank, or none of a required choice given
    TOO_SHORT = "TOO_SHORT"  # text shorter than allowed
    TOO_LONG = "TOO_LONG"  # text longer than allowed
    OUT_OF_RANGE = "OUT_OF_RANGE"  # a number or date outside its bounds
    INVALID_FORMAT = "INVALID_FORMAT"  # not shaped like one (email, phone, code, URL, time)
    INVALID_CHOICE = "INVALID_CHOICE"  # well-formed, but not one of the values offered
    DUPLICATE = "DUPLICATE"  # a value repeated within the input
    NOT_FOUND = "NOT_FOUND"  # names something that does not exist (or is not yours)
    CONFLICT = "CONFLICT"  # contradicts another field, or what is already stored


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    code: FieldProblem
    message: str


@dataclass(frozen=True, slots=True)
class ValidationFailed:
    errors: tuple[FieldError, ...]
    message: str = "Some fields are not valid."


@dataclass(frozen=True, slots=True)
class NotFound:
    message: str = "Not found."


@dataclass(frozen=True, slots=True)
class AlreadyExists:
    field: str
    message: str


@dataclass(frozen=True, slots=True)
class NotAllowed:
    message: str


@dataclass(frozen=True, slots=True)
class OtpInvalid:
    message: str = "The code is wrong, expired or already used; request a new one."


@dataclass(frozen=True, slots=True)
class RateLimited:
    retry_after: int
    message: str = "Too many requests; try again later."


@dataclass(frozen=True, slots=True)
class Problems:
    """Collects field problems so a user hears about all of them at once."""

    errors: list[FieldError] = field(default_factory=list)

    def add(self, field_name: str, code: FieldProblem, message: str) -> None:
        self.errors.append(FieldError(field_name, code, message))

    def result(self) -> ValidationFailed | None:
        return ValidationFailed(tuple(self.errors)) if self.errors else None
