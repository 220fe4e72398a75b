"""The side-by-side's row check (bench/peer_shapes.py) on answers both servers really gave.

tests/bench/answers holds what MediMyth and PostGraphile answered for each shared
shape on the bench database (`python -m bench.side_by_side --record tests/bench/answers`),
so these tests need neither Node nor a server. They fail when a document changes and
its recorded answer no longer matches its selection (record again), when the two
normalisers stop agreeing on real answers, and when a changed row slips through.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest
from graphql import FieldNode, OperationDefinitionNode, SelectionSetNode, parse

from bench import peer_shapes
from bench.peer_shapes import SHARED, Shape
from bench.scenarios import REFERENCE_DOCTORS, TYPENAME
from tests.operations import operation

ANSWERS = Path(__file__).parent / "answers"
MEDIMYTH_DOCUMENTS = {
    "Typename": TYPENAME,
    "Ref: 50 doctors": REFERENCE_DOCTORS,
    # As bench/scenarios.py sends it for "Ref: profile".
    "Ref: profile": operation("DoctorPage", without=("sessions",)),
}


def answer(name: str, side: str) -> dict[str, Any]:
    recorded: dict[str, Any] = orjson.loads(
        (ANSWERS / f"{peer_shapes.slug(name)}.{side}.json").read_bytes()
    )
    return recorded


def raw(value: dict[str, Any]) -> bytes:
    return orjson.dumps(value)


def shape(name: str) -> Shape:
    pairing = SHARED[name]
    return Shape(name, name, b"", b"", pairing.medimyth_rows, pairing.peer_rows)


def selected_keys(selection: SelectionSetNode | None, value: Any) -> list[str]:
    """Every path the answer holds that the selection does not, and the other way round."""
    if isinstance(value, list):
        return [path for item in value for path in selected_keys(selection, item)]
    if selection is None or value is None:
        return [] if selection is None or value is None else ["<a leaf where an object is>"]
    if not isinstance(value, dict):
        return ["<a leaf where an object is>"]
    fields = {
        (node.alias or node.name).value: node
        for node in selection.selections
        if isinstance(node, FieldNode)
    }
    wrong = [f"selected, not answered: {key}" for key in fields.keys() - value.keys()]
    wrong += [f"answered, not selected: {key}" for key in value.keys() - fields.keys()]
    for key in fields.keys() & value.keys():
        wrong += [f"{key}.{path}" for path in selected_keys(fields[key].selection_set, value[key])]
    return wrong


def root_selection(document: str) -> SelectionSetNode:
    (definition,) = parse(document).definitions
    assert isinstance(definition, OperationDefinitionNode)
    return definition.selection_set


@pytest.mark.parametrize("name", list(SHARED))
@pytest.mark.parametrize("side", ["medimyth", "postgraphile"])
def test_each_recorded_answer_holds_exactly_what_its_document_selects(name: str, side: str) -> None:
    # given the document the side-by-side sends to this server
    document = MEDIMYTH_DOCUMENTS[name] if side == "medimyth" else SHARED[name].document

    # when its selection is laid over the answer recorded for it
    wrong = selected_keys(root_selection(document), answer(name, side)["data"])

    # then every selected field was answered and nothing else (else: record again)
    assert wrong == []


@pytest.mark.parametrize("name", list(SHARED))
def test_the_recorded_answers_of_both_servers_hold_the_same_rows(name: str) -> None:
    # given what both servers answered on the bench data
    ours, theirs = answer(name, "medimyth"), answer(name, "postgraphile")

    # when their rows are compared
    difference = peer_shapes.same_rows(shape(name), raw(ours), raw(theirs))

    # then there is no difference
    assert difference is None


def _renamed(data: dict[str, Any]) -> None:
    data["allAccounts"]["nodes"][7]["name"] += " Jr"


def _swapped(data: dict[str, Any]) -> None:
    nodes = data["allAccounts"]["nodes"]
    nodes[0], nodes[1] = nodes[1], nodes[0]


def _schedule_dropped(data: dict[str, Any]) -> None:
    data["allAccounts"]["nodes"][3]["schedulesByDoctorId"]["nodes"].pop()


def _later_start(data: dict[str, Any]) -> None:
    data["allAccounts"]["nodes"][5]["schedulesByDoctorId"]["nodes"][0]["startTime"] = "23:59:00"


def _other_category(data: dict[str, Any]) -> None:
    data["allAccounts"]["nodes"][9]["categoryByCategoryId"] = {"name": "Dermatology"}


def _doctor_missing(data: dict[str, Any]) -> None:
    data["allAccounts"]["nodes"].pop()


@pytest.mark.parametrize(
    "change",
    [_renamed, _swapped, _schedule_dropped, _later_start, _other_category, _doctor_missing],
)
def test_a_changed_row_of_the_directory_page_is_found(change: Any) -> None:
    # given PostGraphile's recorded page with one thing changed
    theirs = copy.deepcopy(answer("Ref: 50 doctors", "postgraphile"))
    change(theirs["data"])

    # when it is compared with MediMyth's
    difference = peer_shapes.same_rows(
        shape("Ref: 50 doctors"), raw(answer("Ref: 50 doctors", "medimyth")), raw(theirs)
    )

    # then the difference is reported
    assert difference is not None


def test_a_hidden_phone_is_compared_as_medimyth_hides_it() -> None:
    # given the recorded profile, as both servers would answer it had the doctor hidden
    # their phone: PostGraphile still returns it with the flag, MediMyth nulls it, and a
    # schedule without a phone of its own falls back to nothing
    ours = copy.deepcopy(answer("Ref: profile", "medimyth"))
    theirs = copy.deepcopy(answer("Ref: profile", "postgraphile"))
    (doctor,) = theirs["data"]["allAccounts"]["nodes"]
    doctor["phoneVisible"] = False
    ours["data"]["doctor"]["phone"] = None
    own = [s["contactPhone"] for s in doctor["schedulesByDoctorId"]["nodes"]]
    for schedule, phone in zip(ours["data"]["doctor"]["schedules"], own, strict=True):
        schedule["contactPhone"] = phone
    assert None in own, "the recorded doctor has no schedule that falls back to their phone"

    # when the rows are compared, and again with MediMyth still showing the phone
    hidden = peer_shapes.same_rows(shape("Ref: profile"), raw(ours), raw(theirs))
    shown = peer_shapes.same_rows(
        shape("Ref: profile"), raw(answer("Ref: profile", "medimyth")), raw(theirs)
    )

    # then the hidden phone matches, and a shown one where PostGraphile says hidden does not
    assert hidden is None
    assert shown is not None


def test_an_answer_with_errors_or_no_rows_is_never_agreement() -> None:
    # given an answer with errors, and two empty pages
    failed = {"data": None, "errors": [{"message": "boom"}]}
    empty_ours: dict[str, Any] = {"data": {"doctors": {"edges": []}}}
    empty_theirs: dict[str, Any] = {"data": {"allAccounts": {"nodes": []}}}
    theirs = answer("Ref: 50 doctors", "postgraphile")

    # when they are compared
    with_errors = peer_shapes.same_rows(shape("Ref: 50 doctors"), raw(failed), raw(theirs))
    empty = peer_shapes.same_rows(shape("Ref: 50 doctors"), raw(empty_ours), raw(empty_theirs))

    # then neither counts as the same rows
    assert with_errors is not None
    assert empty is not None
