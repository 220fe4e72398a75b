"""What can go wrong: coded exceptions for request errors, typed results for users' mistakes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


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


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
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

    def add(self, field_name: str, message: str) -> None:
        self.errors.append(FieldError(field_name, message))

    def result(self) -> ValidationFailed | None:
        return ValidationFailed(tuple(self.errors)) if self.errors else None
