"""Lookahead: does the client's selection under this field reach a given nested field?"""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.types.nodes import SelectedField, Selection

from schema.context import Info


def selects(info: Info, *path: str) -> bool:
    """Whether the selection under the current field includes ``path`` (GraphQL names).

    Fragments (inline or named) count as selected whatever their type condition: the
    answer is used to fetch ahead, where a false yes costs one batched statement and
    a false no costs nothing but the fetch-ahead.
    """
    return any(_reaches(field.selections, path) for field in _fields(info.selected_fields))


def _fields(selections: Sequence[Selection]) -> list[SelectedField]:
    return [field for field in selections if isinstance(field, SelectedField)]


def _reaches(selections: Sequence[Selection], path: Sequence[str]) -> bool:
    if not path:
        return True
    name, rest = path[0], path[1:]
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == name and _reaches(selection.selections, rest):
                return True
        elif _reaches(selection.selections, path):
            return True
    return False
