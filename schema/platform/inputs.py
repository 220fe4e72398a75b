"""Input objects to resolver requests: one field list per conversion, the resolver's own."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def convert(source: object, target: type[T], **changed: Any) -> T:
    """``target`` (a dataclass) from ``source``'s attributes of the same names.

    Only the fields whose name or value changes on the way are spelled out, in
    ``changed``; a target field the input lacks is an AttributeError (a bug).
    """
    names = [field.name for field in dataclasses.fields(target)]  # type: ignore[arg-type]
    values = {name: getattr(source, name) for name in names if name not in changed}
    return target(**values, **changed)
