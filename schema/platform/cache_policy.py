"""Which answers may be cached: queries whose every field reads only the public catalogue.

An answer is cacheable when each field it selects is listed below with the tables it
reads. Those tables announce every committed change (migration 0018's triggers, on the
``medimyth_catalogue`` channel), so a cached answer is dropped when anything it was built
from changes. A field that reads the clock (sessions, availability), the viewer (``me``)
or any other table is not listed, and an answer that selects it is never cached. Every
field of the types below must be classified one way or the other: a test fails when a
new field is not, so nobody makes a cached type time- or viewer-dependent by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    build_schema,
    parse,
    visit,
)

CATALOGUE_CHANNEL = "medimyth_catalogue"
# Where the view leaves a Cacheable in the request's ASGI state (app/response_cache.py).
CACHEABLE_STATE = "medimyth.cacheable"

# What a cacheable field reads; None: never cached (the clock, the viewer, other tables).
ACCOUNTS = frozenset({"accounts"})
CATEGORIES = frozenset({"categories"})
SCHEDULES = frozenset({"schedules"})
NOTHING: frozenset[str] = frozenset()
FIELDS: dict[str, dict[str, frozenset[str] | None]] = {
    "Query": {
        "categories": CATEGORIES,
        "doctor": ACCOUNTS,
        "doctors": ACCOUNTS,
        "me": None,
        "pendingDoctors": None,
        "vacationImpact": None,
        "findSessions": None,
        "myAppointment": None,
        "sessionAppointments": None,
        "liveSession": None,
        "auditEvents": None,
        "webhookEndpoints": None,
        "myWaitlistEntry": None,
        "myBookings": None,
        "myWaitlist": None,
    },
    "Category": {"id": CATEGORIES, "name": CATEGORIES, "activeDoctorCount": ACCOUNTS},
    "Doctor": {
        **dict.fromkeys(
            (
                "id",
                "publicId",
                "name",
                "description",
                "categoryLabel",
                "email",
                "phone",
                "registrationNumber",
                "address",
                "city",
                "timeZone",
                "profilePictureUrl",
            ),
            ACCOUNTS,
        ),
        "category": CATEGORIES,
        "schedules": SCHEDULES,
        # Both are computed against the clock (today's sessions, what is open now).
        "sessions": None,
        "nextAvailableSession": None,
    },
    "Schedule": {
        **dict.fromkeys(
            (
                "id",
                "weekday",
                "weeksOfMonth",
                "startTime",
                "endTime",
                "fee",
                "patientLimit",
                "consultMinutes",
                "clinicName",
                "medicalShop",
                "address",
                "bookingOpensDaysBefore",
                "bookingClosesHoursBefore",
                "isActive",
            ),
            SCHEDULES,
        ),
        "contactPhone": SCHEDULES | ACCOUNTS,
        "doctor": ACCOUNTS,
    },
    "DoctorConnection": {"totalCount": ACCOUNTS, "pageInfo": NOTHING, "edges": NOTHING},
    "DoctorEdge": {"cursor": NOTHING, "node": NOTHING},
    "PageInfo": {"hasNextPage": NOTHING, "endCursor": NOTHING},
}


@dataclass(frozen=True, slots=True)
class Cacheable:
    """The view's word that this request's answer may be cached (an operation's name)."""

    name: str | None


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a document's chosen operation is, and the tables its answer reads if cacheable."""

    mutation: bool = False
    tables: frozenset[str] | None = None

    @property
    def cacheable(self) -> bool:
        return self.tables is not None


NOT_CACHEABLE = Verdict()


class CachePolicy:
    """Classifies documents against the schema's SDL (graphql-core's public API only)."""

    def __init__(self, sdl: str) -> None:
        self.schema: GraphQLSchema = build_schema(sdl)
        # One parse and walk per distinct document and operation name, not per request.
        self.classify = lru_cache(maxsize=2048)(self._classify)

    def _classify(self, query: str | None, operation_name: str | None) -> Verdict:
        if not query:
            return NOT_CACHEABLE
        try:
            document = parse(query, no_location=True)
        except GraphQLError:
            return NOT_CACHEABLE
        operation = _chosen(document, operation_name)
        if operation is None:
            return NOT_CACHEABLE
        if operation.operation is OperationType.MUTATION:
            return Verdict(mutation=True)
        if operation.operation is not OperationType.QUERY:
            return NOT_CACHEABLE
        return Verdict(tables=self._tables(document, operation))

    def _tables(
        self, document: DocumentNode, operation: OperationDefinitionNode
    ) -> frozenset[str] | None:
        # The operation and every fragment of the document: a fragment the operation does
        # not use can only make the verdict stricter, never looser.
        fragments = [d for d in document.definitions if d is not operation]
        walker = _Walker(TypeInfo(self.schema))
        for node in [operation, *fragments]:
            visit(node, TypeInfoVisitor(walker.type_info, walker))
            if walker.refused:
                return None
        return frozenset(walker.tables)


class _Walker(Visitor):
    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.tables: set[str] = set()
        self.refused = False

    def enter_field(self, node: FieldNode, *_: object) -> None:
        name = node.name.value
        if name == "__typename":
            return
        parent = self.type_info.get_parent_type()
        if parent is not None and parent.name.startswith("__"):
            return  # introspection: fixed for the life of the process
        if name in ("__schema", "__type"):
            return
        found = FIELDS.get(parent.name, {}).get(name) if parent is not None else None
        if found is None:
            self.refused = True
            return
        self.tables |= found


def _chosen(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name is not None and o.name.value == name), None)
