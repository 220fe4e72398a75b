"""Lookahead: does the client's selection under this field reach a given nested field?"""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.types.nodes import SelectedField, Selection

from schema.context import Info


class Lookahead:
    """The selection under the current field, converted once for several questions.

    Fragments (inline or named) count as selected whatever their type condition: the
    answer is used to fetch ahead, where a false yes costs one batched statement and
    a false no costs nothing but the fetch-ahead.
    """

    def __init__(self, info: Info) -> None:
        self._fields = _fields(info.selected_fields)

    def selects(self, *path: str) -> bool:
        """Whether the selection includes ``path`` (GraphQL field names, outermost first)."""
        return any(_reaches(field.selections, path) for field in self._fields)


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
