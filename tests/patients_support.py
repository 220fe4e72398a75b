"""Test helpers for patients: the frontend's patients operations, and a phone token."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import cache
from typing import Any

from graphql import DocumentNode, OperationDefinitionNode, parse, print_ast, visit

from resolvers.patients.tokens import issue_patient_token
from resolvers.platform.clock import FixedClock
from resolvers.platform.keys import keyring_of
from settings import Settings
from tests.operations import OPERATIONS_DIR, _DropFields, _DropUnusedVariables, _used_variables

PATIENTS = OPERATIONS_DIR / "patients"


@cache
def _documents() -> dict[str, str]:
    found: dict[str, str] = {}
    for definition in parse((PATIENTS / "patients.graphql").read_text()).definitions:
        if isinstance(definition, OperationDefinitionNode) and definition.name is not None:
            found[definition.name.value] = print_ast(DocumentNode(definitions=(definition,)))
    return found


def patients_operation(name: str, *, without: tuple[str, ...] = ()) -> str:
    """One named operation of the frontend's patients set, minus fields named in ``without``."""
    text = _documents()[name]
    if not without:
        return text
    document = visit(parse(text), _DropFields(set(without)))
    return print_ast(visit(document, _DropUnusedVariables(_used_variables(document))))


def patients_variables(name: str) -> dict[str, Any]:
    """The frontend's example variables for one patients operation (a fresh copy)."""
    examples: dict[str, Any] = json.loads((PATIENTS / "variables.json").read_text())
    return dict(examples[name])


def phone_token(phone: str, *, settings: Settings, clock: FixedClock) -> str:
    """A valid patient token for the phone (E.164), as verifyPhone would issue it."""
    return issue_patient_token(
        keyring=keyring_of(settings),
        phone=phone,
        now=clock.now(),
        ttl=timedelta(minutes=settings.patient_token_ttl_minutes),
    ).token
