"""Lookahead: does the client's selection under this field reach a given nested field?"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionNode,
)

from schema.platform.context import Info


class Lookahead:
    """The selection under the current field, read straight off the document.

    Reads graphql-core's nodes rather than ``info.selected_fields``, which converts
    the whole subtree into Strawberry's objects first (about 60 us for the doctor
    page, on every request). Fragments (inline or named) count as selected whatever
    their type condition, and @skip/@include are not evaluated: the answer is used
    to fetch ahead, where a false yes costs one batched statement and a false no
    costs nothing but the fetch-ahead.
    """

    def __init__(self, info: Info) -> None:
        # Strawberry's Info has no public field_nodes or fragments (its public API is
        # selected_fields, built from exactly these, and operation, which holds no
        # fragments): they are read off graphql-core's resolve info, which Info keeps as
        # the dataclass field _raw_info.
        raw = info._raw_info
        self._nodes: Sequence[FieldNode] = raw.field_nodes
        self._fragments: Mapping[str, FragmentDefinitionNode] = raw.fragments

    def selects(self, *path: str) -> bool:
        """Whether the selection includes ``path`` (GraphQL field names, outermost first)."""
        return any(
            node.selection_set is not None
            and self._reaches(node.selection_set.selections, path, frozenset())
            for node in self._nodes
        )

    def _reaches(
        self, selections: Sequence[SelectionNode], path: Sequence[str], seen: Collection[str]
    ) -> bool:
        if not path:
            return True
        name, rest = path[0], path[1:]
        for selection in selections:
            if isinstance(selection, FieldNode):
                if selection.name.value != name:
                    continue
                if not rest or (
                    selection.selection_set is not None
                    and self._reaches(selection.selection_set.selections, rest, frozenset())
                ):
                    return True
            elif isinstance(selection, InlineFragmentNode):
                if self._reaches(selection.selection_set.selections, path, seen):
                    return True
            elif isinstance(selection, FragmentSpreadNode):
                spread = selection.name.value
                fragment = self._fragments.get(spread)
                # Validation forbids fragment cycles; `seen` only keeps this total.
                if fragment is not None and spread not in seen:
                    inner = fragment.selection_set.selections
                    if self._reaches(inner, path, {*seen, spread}):
                        return True
        return False
