"""The fuzzer's check itself: it passes typed and coded answers and fails everything else."""

from __future__ import annotations

import json

import pytest

from tests.fuzz.checks import problem


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, {"data": {"categories": []}}),
        (200, {"data": {"bookAppointment": {"__typename": "SessionFull"}}}),
        (
            200,
            {"data": None, "errors": [{"message": "x", "extensions": {"code": "UNAUTHENTICATED"}}]},
        ),
        (
            200,
            {"data": None, "errors": [{"message": "x", "extensions": {"code": "BAD_USER_INPUT"}}]},
        ),
        (413, {"errors": [{"message": "too large"}]}),
    ],
)
def test_typed_results_and_coded_errors_pass(status: int, body: object) -> None:
    # when
    found = problem(status, json.dumps(body))
    # then
    assert found is None


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (500, "Internal Server Error"),
        (502, ""),
        (200, "not json"),
        (200, "[]"),
        (200, json.dumps({"data": None, "errors": [{"message": "x"}]})),
        (
            200,
            json.dumps(
                {
                    "data": None,
                    "errors": [{"message": "x", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}],
                }
            ),
        ),
    ],
)
def test_server_errors_uncoded_errors_and_bugs_fail(status: int, text: str) -> None:
    # when
    found = problem(status, text)
    # then
    assert found is not None
