"""The fuzzer's check (loaded through SCHEMATHESIS_HOOKS): every answer is typed or coded."""

from __future__ import annotations

import json
from typing import Any

import schemathesis
from schemathesis import Case, CheckContext, Response

from resolvers.platform.errors import ErrorCode

# Codes a client can act on. INTERNAL_SERVER_ERROR is what a bug becomes, so it fails the run.
EXPECTED_CODES = frozenset(code.value for code in ErrorCode) - {ErrorCode.INTERNAL_SERVER_ERROR}


def problem(status: int, text: str) -> str | None:
    """What is wrong with one answer, or None: never a 5xx; a 200 carries data or coded errors."""
    if status >= 500:
        return f"HTTP {status}: {text[:500]}"
    if status != 200:
        # The request limits refuse before GraphQL runs (too large, wrong method): not a bug.
        return None
    try:
        body: Any = json.loads(text)
    except ValueError:
        return f"the body is not JSON: {text[:500]}"
    if not isinstance(body, dict):
        return f"the body is not a JSON object: {text[:500]}"
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code not in EXPECTED_CODES:
            return f"an error with code {code!r}: {error.get('message')!r}"
    return None


@schemathesis.check
def typed_or_coded(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """MediMyth's contract, instead of schemathesis' not_a_server_error.

    That one counts every resolver error as a server error, an UNAUTHENTICATED one included;
    the contract here is narrower and stricter: coded, and never a bug.
    """
    found = problem(response.status_code, response.text)
    assert found is None, found
    return None
