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

from graphql import DocumentNode, OperationDefinitionNode, parse, print_ast

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


def operation(name: str) -> str:
    """The text of one named operation, ready to post as a GraphQL query."""
    try:
        return _operations()[name]
    except KeyError:
        raise KeyError(f"no operation named {name} in {OPERATIONS_DIR}") from None


def example_variables(name: str) -> dict[str, Any]:
    """The frontend's example variables for an operation (a fresh copy, safe to change)."""
    examples: dict[str, Any] = json.loads((OPERATIONS_DIR / "variables.json").read_text())
    return dict(examples[name])
