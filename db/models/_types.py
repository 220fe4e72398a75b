"""Column types shared by the models."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum


def checked_enum(enum: type[StrEnum], name: str) -> Enum:
    """A VARCHAR column with a named CHECK constraint: easy to extend in a migration."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
