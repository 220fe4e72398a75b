"""The frontend's GraphQL documents (shared/operations), one operation's text by name.

Tests send exactly what the frontend sends: ``operation("Login")`` returns that
operation alone (each file holds several; graphql-core splits them), and
``example_variables("Login")`` the frontend's example variables for it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from graphql import (
    REMOVE,
    DocumentNode,
    FieldNode,
    OperationDefinitionNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    parse,
    print_ast,
    visit,
)

OPERATIONS_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "operations"


@cache
def _operations() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(OPERATIONS_DIR.glob("*.graphql")):
        document = parse(path.read_text())
        for definition in document.definitions:
            if not isinstance(definition, OperationDefinitionNode) or definition.name is None:
                continue
            name = definition.name.value
            if name in found:
                raise ValueError(f"operation {name} is defined twice in {OPERATIONS_DIR}")
            found[name] = print_ast(DocumentNode(definitions=(definition,)))
    return found


def operation(name: str, *, without: tuple[str, ...] = ()) -> str:
    """The text of one named operation, ready to post as a GraphQL query.

    ``without`` drops fields by name wherever they are selected: a test of one
    feature can send the frontend's document minus another feature's fields.
    """
    try:
        text = _operations()[name]
    except KeyError:
        raise KeyError(f"no operation named {name} in {OPERATIONS_DIR}") from None
    if not without:
        return text
    document = visit(parse(text), _DropFields(set(without)))
    return print_ast(visit(document, _DropUnusedVariables(_used_variables(document))))


def _used_variables(document: DocumentNode) -> set[str]:
    used: set[str] = set()

    class Collect(Visitor):
        def enter_variable(self, node: VariableNode, _key: Any, parent: Any, *_: Any) -> None:
            if not isinstance(parent, VariableDefinitionNode):
                used.add(node.name.value)

    visit(document, Collect())
    return used


class _DropUnusedVariables(Visitor):
    """Without its fields, an operation must not declare the variables only they used."""

    def __init__(self, used: set[str]) -> None:
        super().__init__()
        self.used = used

    def enter_variable_definition(self, node: VariableDefinitionNode, *_: Any) -> Any:
        return None if node.variable.name.value in self.used else REMOVE


class _DropFields(Visitor):
    def __init__(self, names: set[str]) -> None:
        super().__init__()
        self.names = names

    def enter_field(self, node: FieldNode, *_: Any) -> Any:
        return REMOVE if node.name.value in self.names else None


def example_variables(name: str) -> dict[str, Any]:
    """The frontend's example variables for an operation (a fresh copy, safe to change)."""
    examples: dict[str, Any] = json.loads((OPERATIONS_DIR / "variables.json").read_text())
    return dict(examples[name])
