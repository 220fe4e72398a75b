"""The fast path answers byte for byte what Strawberry's stock path answers, errors included.

Each input runs through both paths and the serialized answers are compared as bytes
(key order included): the stock path is a plain ``strawberry.Schema`` (graphql-core's
execution context as Strawberry configures it, Strawberry's own extensions runner,
Strawberry's resolvers); the fast path is the same types built by FastPathSchema
(Executor, lean resolvers, prepared extension hooks), the wiring MediMythSchema uses.

Inputs:

1. a corner-case schema: permission classes (allowing and refusing) and field
   extensions on plain attributes, on object attributes and on resolvers; interfaces
   and unions; named and inline fragments; @skip/@include both ways; exceptions
   returned as values and as list items; nulls where null is not allowed; a custom
   scalar whose serialize raises, returns null or an awaitable; awaitable values and
   items; async resolvers; nested lists; a schema extension with a ``resolve`` hook
   and one with lifecycle hooks and results. Every attribute read of the sources
   (property getters, and graphql-core's own ``__await__`` probes), every serialize,
   permission, extension and hook call is recorded: each path must make the same
   calls in the same order;
2. every operation of shared/operations (the top level and every capability set;
   an operation that does not validate against today's schema is still answered by
   both, with validation errors) as the frontend sends it, with its example
   variables pointed at seeded rows, over the real app and PostgreSQL, as the
   caller it is meant for, and each query once more anonymously;
3. the inputs the fuzzer found (tests/fuzz/test_findings.py; tests/fuzz keeps no
   corpus of its own) and malformed requests, over the real app too.
"""

# strawberry.field(permission_classes=..., extensions=...) is not typed as a decorator
# (pyproject.toml allows that in schema/ for the same reason).
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import asyncio
import enum
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import replace
from typing import Annotated, Any, NewType

import pytest
import strawberry
from graphql import GraphQLResolveInfo, OperationType
from strawberry.extensions import FieldExtension, SchemaExtension
from strawberry.permission import BasePermission
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.platform.execution import Executor, FastPathSchema
from settings import FAST_PATH_PIECES, Settings
from tests.platform import differential
from tests.platform.differential import Deterministic, Operation, Seeded

# What the sources, scalars, permissions, extensions and hooks did, in order.
CALLS: list[str] = []


class Raises:
    """An attribute whose read raises this error (a property getter that fails)."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __repr__(self) -> str:
        return f"Raises({self.error!r})"


class Later:
    """An awaitable that is not a coroutine (no warning if it is never awaited)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Later({self.value!r})"

    def __await__(self) -> Generator[Any, None, Any]:
        yield from asyncio.sleep(0).__await__()
        if isinstance(self.value, Exception):
            raise self.value
        return self.value


class Source:
    """The object behind a Gauge: every attribute read is a counted getter, as a property is."""

    def __init__(self, label: str, **values: Any) -> None:
        self.__dict__["label"] = label
        self.__dict__["values"] = values

    def __repr__(self) -> str:
        return str(self.label)

    def __getattr__(self, name: str) -> Any:
        CALLS.append(f"read {self.label}.{name}")
        try:
            value = self.values[name]
        except KeyError:
            raise AttributeError(name) from None
        if isinstance(value, Raises):
            raise value.error
        return value


class Oops(Exception):
    """An exception class of our own: str() of it is a string to graphql-core's String."""


def _serialize_loud(value: Any) -> Any:
    CALLS.append(f"serialize {value!r}")
    if value == "boom":
        raise ValueError("Loud cannot say boom")
    if value == "nothing":
        return None
    if value == "later":
        return Later("LATER")
    return str(value).upper()


Loud = NewType("Loud", str)
# The same scalar definition for both schemas (StrawberryConfig.scalar_map).
CONFIG = StrawberryConfig(
    scalar_map={Loud: strawberry.scalar(name="Loud", serialize=_serialize_loud, parse_value=str)}
)


class Deny(BasePermission):
    message = "Not for you."

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        CALLS.append(f"deny {info.path.typename}.{info.field_name}")
        return False


class Allow(BasePermission):
    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        CALLS.append(f"allow {info.path.typename}.{info.field_name}")
        return True


class Shout(FieldExtension):
    def resolve(self, next_: Any, source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        CALLS.append(f"shout {info.path.typename}.{info.field_name}")
        value = next_(source, info, **kwargs)
        return value.upper() if isinstance(value, str) else value


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Gauge:
    name: str
    level: int
    maybe_level: int | None
    colour: Colour
    maybe_colour: Colour | None
    ratio: float
    on: bool
    code: strawberry.ID
    tags: list[str]
    maybe_tags: list[str | None] | None
    levels: list[int]
    loud: Loud
    maybe_loud: Loud | None
    louds: list[Loud | None]
    required_louds: list[Loud]
    grid: list[list[int | None]]
    child: Gauge | None
    required_child: Gauge
    children: list[Gauge]
    maybe_children: list[Gauge | None]
    nested: list[list[Gauge | None]]
    guarded: str = strawberry.field(permission_classes=[Deny])
    maybe_guarded: str | None = strawberry.field(permission_classes=[Deny])
    allowed: str = strawberry.field(permission_classes=[Allow])
    shouted: str = strawberry.field(extensions=[Shout()])
    guarded_child: Gauge | None = strawberry.field(permission_classes=[Deny])
    guarded_children: list[Gauge] | None = strawberry.field(permission_classes=[Deny])
    allowed_child: Gauge | None = strawberry.field(permission_classes=[Allow])

    @strawberry.field
    def doubled(self) -> int:
        return self.level * 2

    @strawberry.field
    def shouted_name(self, info: strawberry.Info) -> str:
        CALLS.append(f"resolver {info.field_name}")
        return self.name.upper()

    @strawberry.field(permission_classes=[Deny])
    def guarded_doubled(self) -> int | None:
        return self.level * 2

    @strawberry.field(permission_classes=[Allow])
    def allowed_doubled(self) -> int:
        return self.level * 2

    @strawberry.field(extensions=[Shout()])
    def extended_name(self) -> str:
        return self.name

    @strawberry.field
    def peer(self) -> Gauge | None:
        return self.child

    @strawberry.field
    def info_peer(self, info: strawberry.Info) -> Gauge | None:
        CALLS.append(f"resolver {info.field_name}")
        return self.child

    @strawberry.field(permission_classes=[Deny])
    def guarded_peer(self) -> Gauge | None:
        return self.child

    @strawberry.field(permission_classes=[Allow])
    def allowed_peers(self) -> list[Gauge]:
        return self.children

    @strawberry.field(extensions=[Shout()])
    def extended_peers(self) -> list[Gauge]:
        return self.children

    @strawberry.field
    async def later_level(self) -> int:
        return self.level

    @strawberry.field
    async def later_child(self) -> Gauge | None:
        return self.child

    @strawberry.field
    def failing_child(self) -> Gauge | None:
        raise ValueError("no child today")

    @strawberry.field
    def returned_error(self) -> Gauge | None:
        return ValueError("returned, not raised")  # type: ignore[return-value]

    @strawberry.field
    def scaled(self, by: int) -> int:
        return self.level * by


@strawberry.interface
class Animal:
    name: str


@strawberry.type
class Dog(Animal):
    barks: int
    guarded: str = strawberry.field(permission_classes=[Deny])
    shouted: str = strawberry.field(extensions=[Shout()])


@strawberry.type
class Cat(Animal):
    lives: int
    tags: list[str]
    allowed: str = strawberry.field(permission_classes=[Allow])


Pet = Annotated[Dog | Cat, strawberry.union("Pet")]


def _gauge(n: int, depth: int = 1, **changes: Any) -> Source:
    children = [_gauge(n * 10 + i, depth - 1) for i in range(2)] if depth > 0 else []
    values: dict[str, Any] = {
        "name": f"gauge {n}",
        "level": n,
        "maybe_level": None if n % 2 else n,
        "colour": Colour.RED if n % 2 else Colour.BLUE,
        "maybe_colour": None if n % 3 else Colour.RED,
        "ratio": n / 4,
        "on": bool(n % 2),
        "code": f"g{n}",
        "tags": [f"t{n}", "x"],
        "maybe_tags": [None, f"m{n}"] if n % 2 else None,
        "levels": [n, n + 1],
        "loud": f"loud {n}",
        "maybe_loud": None if n % 2 else f"maybe {n}",
        "louds": ["a", None],
        "required_louds": ["b"],
        "grid": [[n, None], []],
        "child": children[0] if children and n % 2 else None,
        "children": children,
        "maybe_children": [*children, None],
        "nested": [children, [None]],
        "guarded": "secret",
        "maybe_guarded": "secret",
        "allowed": "open",
        "shouted": "quiet",
        "guarded_child": children[0] if children else None,
        "guarded_children": children,
        "allowed_child": children[0] if children else None,
    }
    if children:
        values["required_child"] = children[1]
    values.update(changes)
    return Source(f"gauge{n}", **values)


def _leaf(n: int) -> Source:
    return _gauge(n, depth=0)


# One irregular value per source, each where the fast path has to hand over.
ODD: list[dict[str, Any]] = [
    {"name": None},
    {"name": Raises(ValueError("the name getter failed"))},
    {"name": ValueError("a name that is an error")},
    {"name": Oops("a name that is an error of our own")},
    {"name": 5},
    {"name": Later("a later name")},
    {"maybe_level": "many"},
    {"maybe_level": ValueError("an error as a nullable value")},
    {"maybe_level": Raises(Oops("a nullable getter failed"))},
    {"maybe_level": Later("many")},
    {"level": 2**40},
    {"level": True},
    {"level": 3.0},
    {"level": Later(5)},
    {"ratio": "wide"},
    {"on": 0},
    {"on": "yes"},
    {"code": 7},
    {"code": 7.5},
    {"code": True},
    {"colour": "green"},
    {"colour": "red"},
    {"maybe_colour": Colour.BLUE},
    {"loud": "boom"},
    {"loud": "nothing"},
    {"loud": "later"},
    {"loud": Later("boom")},
    {"maybe_loud": "boom"},
    {"maybe_loud": "nothing"},
    {"tags": ["a", None, "c"]},
    {"tags": ["a", ValueError("a tag that is an error"), "c"]},
    {"tags": ["a", Oops("a tag of our own"), "c"]},
    {"tags": ["a", Later("b"), Later(ValueError("a later tag failed"))]},
    {"tags": ("a", "b")},
    {"tags": {"a": 1}},
    {"tags": "abc"},
    {"tags": ValueError("tags that are an error")},
    {"tags": Later(["a", "later"])},
    {"maybe_tags": [None, Oops("a maybe tag of our own"), 5, Later(None)]},
    {"levels": [1, "two", 3, "four"]},
    {"louds": ["x", "boom", "nothing", None, "later", "y"]},
    {"required_louds": ["nothing", "boom"]},
    {"grid": [[1, "x"], None, [ValueError("a cell")]]},
    {"child": ValueError("a child that is an error")},
    {"child": Later(_leaf(7))},
    {"child": Raises(ValueError("the child getter failed"))},
    {"required_child": None},
    {"required_child": Oops("a required child of our own")},
    {"children": [_leaf(1), None, _leaf(2)]},
    {"children": [_leaf(1), ValueError("a child item that is an error"), _leaf(2)]},
    {"children": (_leaf(1), _leaf(2))},
    {"children": None},
    {"children": [_leaf(1), Later(_leaf(2)), Later(None)]},
    {"maybe_children": [_leaf(1), ValueError("an error item"), Oops("ours"), None, _leaf(2)]},
    {"maybe_children": [Later(ValueError("a later item failed")), Later(_leaf(3))]},
    {"nested": [[_leaf(1), ValueError("a nested error")], None, [Later(_leaf(2))]]},
]


@strawberry.type
class Query:
    @strawberry.field
    def gauges(self) -> list[Gauge]:
        return [_gauge(n) for n in range(3)]  # type: ignore[misc]

    @strawberry.field
    def gauge_at(self, index: int) -> Gauge | None:
        return _gauge(index, **ODD[index])  # type: ignore[return-value]

    @strawberry.field
    def odd_gauges(self) -> list[Gauge | None]:
        return [_gauge(index, **changes) for index, changes in enumerate(ODD)]  # type: ignore[misc]

    @strawberry.field
    def strict_odd_gauges(self) -> list[Gauge]:
        return [_gauge(index, **changes) for index, changes in enumerate(ODD[:8])]  # type: ignore[misc]

    @strawberry.field
    def maybe_gauges(self) -> list[Gauge | None]:
        return [_gauge(1), None, ValueError("a returned item"), Oops("ours"), _gauge(2)]  # type: ignore[list-item]

    @strawberry.field
    def required_gauges(self) -> list[Gauge]:
        return [_gauge(1), ValueError("a required item, returned"), _gauge(2)]  # type: ignore[list-item]

    @strawberry.field
    def null_gauges(self) -> list[Gauge]:
        return [_gauge(1), None]  # type: ignore[list-item]

    @strawberry.field
    def awaited_gauges(self) -> list[Gauge | None]:
        return [Later(_gauge(1)), Later(None), Later(ValueError("a later item")), _gauge(2)]  # type: ignore[list-item]

    @strawberry.field
    async def later_gauges(self) -> list[Gauge]:
        return [_gauge(4), _gauge(5)]  # type: ignore[list-item]

    @strawberry.field
    def grid(self) -> list[list[Gauge | None] | None]:
        return [[_gauge(1), None], None, [ValueError("a grid item")]]  # type: ignore[list-item]

    @strawberry.field
    def louds(self) -> list[Loud | None]:
        return [Loud(text) if text else None for text in ("a", "boom", "nothing", "", "later", "b")]

    @strawberry.field
    def pets(self) -> list[Pet]:
        return [
            Dog(name="Rex", barks=3, guarded="secret", shouted="woof"),
            Cat(name="Tom", lives=9, tags=["grey"], allowed="open"),
        ]

    @strawberry.field
    def animals(self) -> list[Animal]:
        return [
            Cat(name="Kit", lives=7, tags=[], allowed="open"),
            Dog(name="Fido", barks=1, guarded="secret", shouted="arf"),
        ]


class ResolveHook(SchemaExtension):
    """A per-field ``resolve`` hook: graphql-core middleware, on every field."""

    def resolve(
        self, _next: Any, root: Any, info: GraphQLResolveInfo[Any], *args: Any, **kwargs: Any
    ) -> Any:
        CALLS.append(f"hook {info.parent_type.name}.{info.field_name}")
        return _next(root, info, *args, **kwargs)


class Lifecycle(SchemaExtension):
    """Hooks around every stage, one async, and results in the answer's extensions."""

    def on_operation(self) -> Iterator[None]:
        CALLS.append("operation in")
        yield
        CALLS.append("operation out")

    def on_validate(self) -> Iterator[None]:
        CALLS.append("validate in")
        yield
        CALLS.append("validate out")

    async def on_execute(self) -> AsyncIterator[None]:
        CALLS.append("execute in")
        yield
        CALLS.append("execute out")

    def get_results(self) -> dict[str, Any]:
        return {"lifecycle": len(CALLS)}


SCHEMAS: dict[str, tuple[strawberry.Schema, strawberry.Schema]] = {
    "schema": (
        strawberry.Schema(query=Query, config=CONFIG),
        FastPathSchema(query=Query, config=CONFIG),
    ),
    "with lifecycle hooks": (
        strawberry.Schema(query=Query, config=CONFIG, extensions=[Lifecycle]),
        FastPathSchema(query=Query, config=CONFIG, extensions=[Lifecycle]),
    ),
    "with a resolve hook": (
        strawberry.Schema(query=Query, config=CONFIG, extensions=[ResolveHook]),
        FastPathSchema(query=Query, config=CONFIG, extensions=[ResolveHook]),
    ),
}

PLAIN = """
fragment Plain on Gauge {
  __typename name level maybeLevel colour maybeColour ratio on code tags maybeTags levels
  loud maybeLoud louds requiredLouds grid
}
"""
OBJECTS = """
fragment Objects on Gauge {
  child { name level } requiredChild { name tags } children { name level colour }
  maybeChildren { name __typename } nested { name } peer { name } infoPeer { level }
  laterChild { name }
}
"""

DOCUMENTS: dict[str, str] = {
    "plain fields": "{ gauges { ...Plain } }" + PLAIN,
    "object fields": "{ gauges { name ...Objects } }" + OBJECTS,
    "resolvers": (
        "{ gauges { doubled shoutedName extendedName laterLevel scaled(by: 3)"
        " failingChild { name } returnedError { name } } }"
    ),
    "refusing permission on a non-null attribute": "{ gauges { name guarded } }",
    "refusing permissions where null is allowed": (
        "{ gauges { name maybeGuarded guardedChild { name } guardedChildren { name }"
        " guardedPeer { name } guardedDoubled } }"
    ),
    "allowing permissions": (
        "{ gauges { allowed allowedDoubled allowedChild { name } allowedPeers { name } } }"
    ),
    "field extensions": "{ gauges { shouted extendedName extendedPeers { name } } }",
    "irregular values, one list": "{ oddGauges { ...Plain } }" + PLAIN,
    "irregular objects, one list": "{ oddGauges { name ...Objects } }" + OBJECTS,
    "irregular values in non-null items": "{ strictOddGauges { name level tags } }",
    "exception items among objects": "{ maybeGauges { name level } }",
    "exception item in a non-null list": "{ requiredGauges { name } }",
    "null item in a non-null list": "{ nullGauges { name tags } }",
    "awaitable items": "{ awaitedGauges { name level child { name } } }",
    "async root list": "{ laterGauges { name ...Plain } }" + PLAIN,
    "nested lists": "{ grid { name level } gauges { grid nested { name nested { name } } } }",
    "errors deep in the tree": (
        "{ gauges { children { children { name } failingChild { name } requiredChild { name } } } }"
    ),
    "custom scalar list": "{ louds }",
    "interfaces, unions, fragments": (
        "{ pets { __typename ... on Dog { name barks shouted } ... on Cat { name lives tags } }"
        " animals { name __typename ... on Cat { lives allowed } ...DogParts } }"
        " fragment DogParts on Dog { barks }"
    ),
    "refusing permission in a union member": "{ pets { ... on Dog { name guarded } } }",
    "skip and include": (
        "query($yes: Boolean!, $no: Boolean!) { gauges {"
        " name @skip(if: $yes) level @include(if: $yes) tags @skip(if: $no)"
        " child @include(if: $no) { name } ... on Gauge @include(if: $yes) { colour }"
        " ...Parts @skip(if: $no) } } fragment Parts on Gauge { ratio children { name } }"
    ),
    "aliases and repeated fields": (
        "{ first: gauges { a: name b: name name level children { n: name name } }"
        " again: gauges { name } }"
    ),
    "typename and introspection": (
        "{ __typename gauges { __typename } __schema { queryType { name } } }"
    ),
    "syntax error": "{ gauges { name ",
    "validation error": "{ gauges { nope } }",
}

VARIABLES = {"yes, not no": {"yes": True, "no": False}, "no, not yes": {"yes": False, "no": True}}


async def _answer(
    schema: strawberry.Schema, document: str, variables: dict[str, Any]
) -> tuple[str, list[str]]:
    CALLS.clear()
    result = await schema.execute(document, variable_values=variables)
    return differential.response_json(result), list(CALLS)


@pytest.mark.parametrize("variables", VARIABLES.values(), ids=VARIABLES.keys())
@pytest.mark.parametrize("document", DOCUMENTS.values(), ids=DOCUMENTS.keys())
@pytest.mark.parametrize("schemas", SCHEMAS.values(), ids=SCHEMAS.keys())
async def test_corner_cases_answer_as_the_stock_path(
    schemas: tuple[strawberry.Schema, strawberry.Schema],
    document: str,
    variables: dict[str, bool],
) -> None:
    # given: the same types on the stock path and on the fast path
    stock_schema, fast_schema = schemas

    # when
    stock, stock_calls = await _answer(stock_schema, document, variables)
    fast, fast_calls = await _answer(fast_schema, document, variables)

    # then: the same bytes, and the same reads, serializations, checks and hooks, in order
    differential.assert_same_bytes(stock, fast, "the answer")
    assert fast_calls == stock_calls


ODD_DOCUMENT = "query($i: Int!) { gaugeAt(index: $i) { ...Plain ...Objects } }" + PLAIN + OBJECTS


@pytest.mark.parametrize("index", range(len(ODD)), ids=[repr(changes) for changes in ODD])
async def test_each_irregular_value_answers_as_the_stock_path(index: int) -> None:
    # given: one source with one irregular value (or getter), on its own
    stock_schema, fast_schema = SCHEMAS["schema"]

    # when
    stock, stock_calls = await _answer(stock_schema, ODD_DOCUMENT, {"i": index})
    fast, fast_calls = await _answer(fast_schema, ODD_DOCUMENT, {"i": index})

    # then: the getter ran as often as on the stock path, and the answer is the same
    differential.assert_same_bytes(stock, fast, f"gaugeAt({index})")
    assert fast_calls == stock_calls


async def test_the_fast_path_is_what_the_fast_schema_runs() -> None:
    # given: the fast twin of the corner-case schema (so the comparisons above compare two paths)
    _stock_schema, fast_schema = SCHEMAS["schema"]

    # then
    assert isinstance(fast_schema, FastPathSchema)
    assert fast_schema.fast_path
    assert fast_schema.execution_context_class.__name__ == "Executor"


# The real app, over a seeded PostgreSQL: every operation of shared/operations.

SETS = differential.operation_sets()
OPERATIONS: list[Operation] = [operation for group in SETS.values() for operation in group]
QUERIES = [op for op in OPERATIONS if op.kind is OperationType.QUERY and not op.set_name]

# What the fuzzer found (tests/fuzz/test_findings.py), and malformed requests.
LOADER_SIBLINGS = """
query ($publicId: String!) {
  doctor(publicId: $publicId) {
    nextAvailableSession { date }
    schedules {
      doctor {
        sessions(from: "2026-12-20", to: "2026-12-01") { status }
        nextAvailableSession { date }
      }
    }
  }
}
"""
FOUND: dict[str, tuple[str, str | None, dict[str, Any], str]] = {
    # label: (document or operation name, operation name, variables, caller)
    "a superscript id": ("SetAppointmentStatus", None, {"id": "³", "status": "ARRIVED"}, "doctor"),
    "a NUL in a category name": ("CreateCategory", None, {"name": "Cardio\x00logy"}, "admin"),
    "a NUL in a search": ("SearchDoctors", None, {"filter": {"search": "asha\x00"}}, "anonymous"),
    "a failing field beside shared loader reads": (
        LOADER_SIBLINGS,
        None,
        {"publicId": "MMD-1"},
        "anonymous",
    ),
    "activating an active doctor": ("ActivateDoctor", None, {"doctorId": "1"}, "admin"),
    "a syntax error": ("{ categories { id ", None, {}, "anonymous"),
    "an unknown field with a suggestion": ("{ categories { nam } }", None, {}, "anonymous"),
    "a variable of the wrong type": (
        "query($first: Int) { doctors(first: $first) { totalCount } }",
        None,
        {"first": "twenty"},
        "anonymous",
    ),
    "too deep": (
        "{ doctors { edges { node { schedules { doctor { schedules { doctor { schedules"
        " { doctor { schedules { id } } } } } } } } } } }",
        None,
        {},
        "anonymous",
    ),
    "too many aliases": (
        "{ " + " ".join(f"a{n}: __typename" for n in range(40)) + " }",
        None,
        {},
        "anonymous",
    ),
    "over the cost budget": (
        'query ($first: Int) { doctors(first: $first) { edges { node { sessions(from: "2026-12-01",'
        ' to: "2027-01-31") { date } } } } }',
        None,
        {"first": 100},
        "anonymous",
    ),
    "a query in a mutation's clothes": ("mutation { nope }", None, {}, "anonymous"),
    "an expired token": ("MyAccount", None, {}, "expired"),
}


@pytest.fixture(scope="module")
async def seeded(database_url: str, settings: Settings) -> AsyncIterator[Seeded]:
    seeded = await differential.seed_template(database_url, settings)
    try:
        seeded.reads_url = await differential.clone(seeded)
        yield seeded
    finally:
        await differential.drop_all(seeded)


async def _both(
    seeded: Seeded,
    randomness: Deterministic,
    *,
    request: bytes,
    token: str | None,
    writes: bool,
) -> tuple[tuple[int, bytes], tuple[int, bytes]]:
    """The stock app's answer and the fast app's, each on its own copy when the request writes."""
    answers = []
    for fast in (False, True):
        randomness.restart()
        url = await differential.clone(seeded) if writes else seeded.reads_url
        answers.append(await differential.answer(seeded, url, fast=fast, body=request, token=token))
    return answers[0], answers[1]


@pytest.fixture
def randomness(monkeypatch: pytest.MonkeyPatch) -> Deterministic:
    return Deterministic(monkeypatch)


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
async def test_every_shared_operation_answers_as_the_stock_path(
    seeded: Seeded, randomness: Deterministic, operation: Operation
) -> None:
    # given: the operation as the frontend sends it, as its caller, with seeded variables
    request = differential.body(
        operation.document, differential.adapted(operation, seeded), operation.name
    )
    token = differential.token(seeded, differential.caller(operation))

    # when: each app answers it against the same seeded rows
    stock, fast = await _both(
        seeded,
        randomness,
        request=request,
        token=token,
        writes=operation.kind is not OperationType.QUERY,
    )

    # then: the same status and the same bytes
    assert fast[0] == stock[0]
    differential.assert_same_bytes(stock[1], fast[1], operation.label)


@pytest.mark.parametrize("operation", QUERIES, ids=[op.label for op in QUERIES])
async def test_every_query_answers_an_anonymous_caller_as_the_stock_path(
    seeded: Seeded, randomness: Deterministic, operation: Operation
) -> None:
    # given: the query without a token (the doctor's and admin's ones refuse)
    request = differential.body(
        operation.document, differential.adapted(operation, seeded), operation.name
    )

    # when
    stock, fast = await _both(seeded, randomness, request=request, token=None, writes=False)

    # then
    assert fast[0] == stock[0]
    differential.assert_same_bytes(stock[1], fast[1], f"{operation.label}, anonymous")


# The shapes of the side-by-side with PostGraphile (bench/peer), which the cache answers.
REFERENCE_DOCTORS = """query ReferenceDoctors50 {
  doctors(orderBy: NAME, first: 50) {
    edges {
      node { id publicId name city category { name } schedules { id weekday startTime fee } }
    }
  }
}"""
REFERENCE_PROFILE = """query ReferenceProfile($publicId: String!) {
  doctor(publicId: $publicId) {
    id publicId name description categoryLabel category { id name } email phone
    registrationNumber address city timeZone profilePictureUrl
    schedules { id weekday weeksOfMonth startTime endTime fee patientLimit clinicName
      medicalShop address bookingOpensDaysBefore bookingClosesHoursBefore isActive contactPhone }
  }
}"""
CACHED = {
    "Ref: 50 doctors": (REFERENCE_DOCTORS, {}),
    "Ref: profile": (REFERENCE_PROFILE, {"publicId": "doctor_public"}),
    "typename": ("{ __typename }", {}),
}


@pytest.mark.parametrize(
    "operation", [*QUERIES, *CACHED], ids=[*(op.label for op in QUERIES), *CACHED]
)
async def test_the_response_cache_answers_as_the_stock_path(
    seeded: Seeded, randomness: Deterministic, operation: Operation | str
) -> None:
    # given: an anonymous query (the cache keeps only anonymous answers)
    if isinstance(operation, str):
        document, variables = CACHED[operation]
        variables = {k: seeded.ids.get(v, v) for k, v in variables.items()}
        request = differential.body(document, variables)
    else:
        request = differential.body(
            operation.document, differential.adapted(operation, seeded), operation.name
        )

    # when: the stock app answers it once, and the cached app twice
    randomness.restart()
    stock = await differential.answer(
        seeded, seeded.reads_url, fast=False, body=request, token=None
    )
    randomness.restart()
    cached, hits = await differential.cached_answers(seeded, seeded.reads_url, body=request)

    # then: the same bytes every time; the catalogue's shapes came from the cache
    for status, content in cached:
        assert status == stock[0]
        differential.assert_same_bytes(stock[1], content, f"{operation}, cached")
    if isinstance(operation, str) or operation.name == "Categories":
        assert hits == 1


ALONE = [(piece, op) for piece in FAST_PATH_PIECES for op in QUERIES]


@pytest.mark.parametrize(
    ("piece", "operation"), ALONE, ids=[f"{piece} alone: {op.label}" for piece, op in ALONE]
)
async def test_each_piece_of_the_fast_path_alone_answers_as_the_stock_path(
    seeded: Seeded, randomness: Deterministic, piece: str, operation: Operation
) -> None:
    # given: a query as its caller sends it, and the fast path with only this piece
    request = differential.body(
        operation.document, differential.adapted(operation, seeded), operation.name
    )
    token = differential.token(seeded, differential.caller(operation))
    others = frozenset(FAST_PATH_PIECES) - {piece}

    # when: the stock app and the one-piece app answer it on the same rows
    answers = []
    for fast in (False, True):
        randomness.restart()
        answers.append(
            await differential.answer(
                seeded, seeded.reads_url, fast=fast, body=request, token=token, without=others
            )
        )

    # then
    stock, alone = answers
    assert alone[0] == stock[0]
    differential.assert_same_bytes(stock[1], alone[1], f"{operation.label}, {piece} alone")


@pytest.mark.parametrize("found", FOUND.values(), ids=FOUND.keys())
async def test_fuzz_findings_and_malformed_requests_answer_as_the_stock_path(
    seeded: Seeded, randomness: Deterministic, found: tuple[str, str | None, dict[str, Any], str]
) -> None:
    # given
    text, name, variables, who = found
    known = {op.name: op for op in SETS[""]}
    document = known[text].document if text in known else text
    token = "expired.token.value" if who == "expired" else differential.token(seeded, who)

    # when
    stock, fast = await _both(
        seeded,
        randomness,
        request=differential.body(document, variables, name),
        token=token,
        writes=document.lstrip().startswith("mutation"),
    )

    # then
    assert fast[0] == stock[0]
    differential.assert_same_bytes(stock[1], fast[1], text[:40])


def test_the_two_apps_run_the_two_paths(settings: Settings) -> None:
    # given: the settings of the stock app and of the fast app above
    from schema import build_schema
    from schema.platform.guards import Limits

    stock_settings = replace(settings, graphql_fast_path=False)

    # when: each builds its schema as create_app does
    stock = build_schema(Limits.from_settings(stock_settings))
    fast = build_schema(Limits.from_settings(settings))

    # then: Strawberry's execution context, runner and resolvers, against the fast path's
    assert not stock.fast_path
    assert stock.execution_context_class is StrawberryGraphQLCoreExecutionContext
    assert fast.fast_path
    assert fast.execution_context_class is Executor


def test_every_top_level_operation_validates_and_the_sets_are_all_answered() -> None:
    # given: today's schema, as the frontend's check reads it
    from schema import schema

    sdl = schema.as_str()

    # when
    invalid = {name: differential.invalid_operations(sdl, group) for name, group in SETS.items()}

    # then: the top level runs for real; a set's invalid operations are answered too
    # (validation errors, compared like any answer), none is left out
    assert invalid[""] == []
    assert {op.set_name for op in OPERATIONS} == set(SETS)
    assert len(OPERATIONS) == sum(len(group) for group in SETS.values()) > 40
