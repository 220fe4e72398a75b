"""The side-by-side's shapes: MediMyth's document, PostGraphile's, and the rows both must hold.

Each shared shape pairs MediMyth's request (from bench/scenarios.py, so `make bench`
and `make bench-peer` read the same rows) with a document in PostGraphile's dialect
(Amber preset over the same tables), and a normaliser per side that reduces an
answer's data to plain rows: ids, names, cities, category names, schedules. The
JSON shapes differ (edges/node against nodes, enum names against smallints, "18:00:00"
against "18:00:00.000000"); the rows must not. MediMyth's public rules are applied to
PostGraphile's raw columns here, not there: a public doctor is role DOCTOR and status
ACTIVE (resolvers/catalogue/doctors.is_public), a listed schedule is an active one,
hidden contact fields are null, and a schedule's contact phone falls back to the
doctor's phone only when the doctor shows it (schema/scheduling/types.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from typing import Any

import orjson

from bench.scenarios import Scenario
from schema.platform.enums import Weekday, WeekOfMonth

Rows = Any
Normaliser = Callable[[dict[str, Any]], Rows]

# The order MediMyth lists a doctor's schedules in (resolvers/catalogue/loaders.SCHEDULE_ORDER).
_SCHEDULE_LIST = (
    "schedulesByDoctorId(condition: {isActive: true}, "
    "orderBy: [WEEKDAY_ASC, START_TIME_ASC, ROW_ID_ASC])"
)
_PUBLIC = 'role: "DOCTOR", status: "ACTIVE"'

PEER_TYPENAME = "{ __typename }"
# bench.scenarios.REFERENCE_DOCTORS: orderBy NAME is lower(name), id in MediMyth; on the
# bench data (C collation, capitalised names) name, id gives the same order, and the
# row check below would say so if it did not.
PEER_DOCTORS = f"""query ReferenceDoctors50($categoryId: BigInt!) {{
  allAccounts(
    condition: {{{_PUBLIC}, categoryId: $categoryId}}, orderBy: [NAME_ASC, ROW_ID_ASC], first: 50
  ) {{
    nodes {{
      rowId publicNumber name city categoryByCategoryId {{ name }}
      {_SCHEDULE_LIST} {{ nodes {{ rowId weekday startTime fee }} }}
    }}
  }}
}}"""
# DoctorPage without sessions: the visibility flags ride along so the normaliser can hide
# what MediMyth hides.
PEER_PROFILE = f"""query ReferenceProfile($publicNumber: Int!) {{
  allAccounts(condition: {{{_PUBLIC}, publicNumber: $publicNumber}}, first: 1) {{
    nodes {{
      rowId publicNumber name description categoryLabel categoryByCategoryId {{ rowId name }}
      email emailVisible phone phoneVisible registrationNumber registrationNumberVisible
      address city timeZone profilePictureUrl
      {_SCHEDULE_LIST} {{
        nodes {{
          rowId weekday weeksOfMonth startTime endTime fee patientLimit clinicName medicalShop
          address contactPhone bookingOpensDaysBefore bookingClosesHoursBefore
        }}
      }}
    }}
  }}
}}"""


def _time(raw: str | None) -> str | None:
    return None if raw is None else time.fromisoformat(raw).isoformat()


def _weekday(raw: int | str) -> str:
    return raw if isinstance(raw, str) else Weekday(raw).name


def _weeks(raw: list[int | str]) -> list[str]:
    return [week if isinstance(week, str) else WeekOfMonth(week).name for week in raw]


def _public_id(number: int) -> str:
    return f"MMD-{number}"


def _shown(node: dict[str, Any], field: str) -> Any:
    return node[field] if node[f"{field}Visible"] else None


def medimyth_typename(data: dict[str, Any]) -> Rows:
    return data["__typename"]


def peer_typename(data: dict[str, Any]) -> Rows:
    return data["__typename"]


def medimyth_doctors(data: dict[str, Any]) -> Rows:
    return [
        {
            "id": str(node["id"]),
            "publicId": node["publicId"],
            "name": node["name"],
            "city": node["city"],
            "category": node["category"] and node["category"]["name"],
            "schedules": [
                (str(s["id"]), _weekday(s["weekday"]), _time(s["startTime"]), s["fee"])
                for s in node["schedules"]
            ],
        }
        for node in (edge["node"] for edge in data["doctors"]["edges"])
    ]


def peer_doctors(data: dict[str, Any]) -> Rows:
    return [
        {
            "id": str(node["rowId"]),
            "publicId": _public_id(node["publicNumber"]),
            "name": node["name"],
            "city": node["city"],
            "category": node["categoryByCategoryId"] and node["categoryByCategoryId"]["name"],
            "schedules": [
                (str(s["rowId"]), _weekday(s["weekday"]), _time(s["startTime"]), s["fee"])
                for s in node["schedulesByDoctorId"]["nodes"]
            ],
        }
        for node in data["allAccounts"]["nodes"]
    ]


_PROFILE_FIELDS = ("name", "description", "categoryLabel", "address", "city", "timeZone")
_SCHEDULE_FIELDS = (
    "fee",
    "patientLimit",
    "clinicName",
    "medicalShop",
    "address",
    "bookingOpensDaysBefore",
    "bookingClosesHoursBefore",
)


def _schedule(s: dict[str, Any], *, key: str, fallback_phone: str | None) -> dict[str, Any]:
    return {
        "id": str(s[key]),
        "weekday": _weekday(s["weekday"]),
        "weeksOfMonth": _weeks(s["weeksOfMonth"]),
        "startTime": _time(s["startTime"]),
        "endTime": _time(s["endTime"]),
        "contactPhone": s["contactPhone"] if s["contactPhone"] is not None else fallback_phone,
        **{field: s[field] for field in _SCHEDULE_FIELDS},
    }


def medimyth_profile(data: dict[str, Any]) -> Rows:
    node = data["doctor"]
    if node is None:
        return None
    category = node["category"]
    return {
        "id": str(node["id"]),
        "publicId": node["publicId"],
        **{field: node[field] for field in _PROFILE_FIELDS},
        "category": category and (str(category["id"]), category["name"]),
        "email": node["email"],
        "phone": node["phone"],
        "registrationNumber": node["registrationNumber"],
        "profilePictureUrl": node["profilePictureUrl"],
        # MediMyth answers the fallback itself: its contactPhone is already the shown one.
        "schedules": [_schedule(s, key="id", fallback_phone=None) for s in node["schedules"]],
    }


def peer_profile(data: dict[str, Any]) -> Rows:
    nodes = data["allAccounts"]["nodes"]
    if not nodes:
        return None
    node = nodes[0]
    category = node["categoryByCategoryId"]
    phone = _shown(node, "phone")
    return {
        "id": str(node["rowId"]),
        "publicId": _public_id(node["publicNumber"]),
        **{field: node[field] for field in _PROFILE_FIELDS},
        "category": category and (str(category["rowId"]), category["name"]),
        "email": _shown(node, "email"),
        "phone": phone,
        "registrationNumber": _shown(node, "registrationNumber"),
        "profilePictureUrl": node["profilePictureUrl"],
        "schedules": [
            _schedule(s, key="rowId", fallback_phone=phone)
            for s in node["schedulesByDoctorId"]["nodes"]
        ],
    }


@dataclass(frozen=True)
class Shape:
    """One row of the side-by-side: MediMyth's request, and PostGraphile's when there is one."""

    name: str
    what: str
    medimyth: bytes
    peer: bytes | None = None
    medimyth_rows: Normaliser | None = None
    peer_rows: Normaliser | None = None


def _body(query: str, variables: dict[str, Any]) -> bytes:
    return orjson.dumps({"query": query, "variables": variables})


def variables_of(scenario: Scenario) -> dict[str, Any]:
    variables: dict[str, Any] = orjson.loads(scenario.graphql.body)["variables"]
    return variables


# The scenarios of bench/scenarios.py the side-by-side runs, by name; the shared ones
# with PostGraphile's document, its variables made from MediMyth's (the same category,
# the same doctor), and both normalisers.
def _peer_doctors_variables(variables: dict[str, Any]) -> dict[str, Any]:
    (category,) = variables["filter"]["categoryIds"]
    return {"categoryId": category}


def _peer_profile_variables(variables: dict[str, Any]) -> dict[str, Any]:
    return {"publicNumber": int(variables["publicId"].removeprefix("MMD-"))}


@dataclass(frozen=True)
class Pairing:
    document: str
    variables: Callable[[dict[str, Any]], dict[str, Any]]
    medimyth_rows: Normaliser
    peer_rows: Normaliser


SHARED = {
    "Typename": Pairing(PEER_TYPENAME, lambda _: {}, medimyth_typename, peer_typename),
    "Ref: 50 doctors": Pairing(
        PEER_DOCTORS, _peer_doctors_variables, medimyth_doctors, peer_doctors
    ),
    "Ref: profile": Pairing(PEER_PROFILE, _peer_profile_variables, medimyth_profile, peer_profile),
}
MEDIMYTH_ONLY = ("SearchDoctors 20", "SearchDoctors 50", "FindSessions")


def shapes(scenarios: list[Scenario]) -> list[Shape]:
    by_name = {scenario.name: scenario for scenario in scenarios}
    found: list[Shape] = []
    for name, pairing in SHARED.items():
        scenario = by_name[name]
        peer = _body(pairing.document, pairing.variables(variables_of(scenario)))
        found.append(
            Shape(
                name,
                scenario.what,
                scenario.graphql.body,
                peer,
                pairing.medimyth_rows,
                pairing.peer_rows,
            )
        )
    found += [Shape(name, by_name[name].what, by_name[name].graphql.body) for name in MEDIMYTH_ONLY]
    return found


def slug(name: str) -> str:
    """A shape's name as a file name: "Ref: 50 doctors" -> "ref-50-doctors"."""
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())


def same_rows(shape: Shape, medimyth: bytes, peer: bytes) -> str | None:
    """None when both answers hold the same rows; else what differs, for the error message."""
    if shape.medimyth_rows is None or shape.peer_rows is None:
        raise ValueError(f"{shape.name} has no PostGraphile equivalent to compare")
    answers = []
    for side, raw in (("MediMyth", medimyth), ("PostGraphile", peer)):
        answer = orjson.loads(raw)
        if answer.get("errors") or not isinstance(answer.get("data"), dict):
            return f"{side} answered errors: {raw[:500]!r}"
        answers.append(answer["data"])
    ours, theirs = shape.medimyth_rows(answers[0]), shape.peer_rows(answers[1])
    if not ours:
        return "MediMyth answered no rows: a comparison of nothing proves nothing"
    if ours == theirs:
        return None
    if isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            return f"{len(ours)} rows against {len(theirs)}"
        for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            if a != b:
                return f"row {index}: MediMyth {a!r} against PostGraphile {b!r}"
    return f"MediMyth {ours!r} against PostGraphile {theirs!r}"
