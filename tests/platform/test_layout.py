"""The tree's shape as rules: imports go one way, and domains meet only through public modules."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.database import ROOT

LAYERS = ("app", "schema", "resolvers", "db")  # each may import only those after it
DOMAINS = (
    "accounts",
    "catalogue",
    "scheduling",
    "booking",
    "messaging",
    "feeds",
    "audit",
    "webhooks",
    "live",
    "waitlist",
    "patients",
)


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name of the file
    imported: str  # dotted module name it imports
    top_level: bool  # at module level and not under TYPE_CHECKING


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports_of(path: Path) -> Iterator[Import]:
    tree = ast.parse(path.read_text(), filename=str(path))
    importer = _module_name(path)
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            guarded.update(id(child) for child in ast.walk(node))
    top = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from pkg import module` imports pkg.module when it is one.
            names = [node.module]
            names += [
                f"{node.module}.{alias.name}"
                for alias in node.names
                if (ROOT / node.module.replace(".", "/") / f"{alias.name}.py").exists()
            ]
        for name in names:
            yield Import(importer, name, id(node) in top and id(node) not in guarded)


def _all_imports() -> list[Import]:
    found: list[Import] = []
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            found.extend(_imports_of(path))
    return found


IMPORTS = _all_imports()


def _layer(module: str) -> str | None:
    head = module.split(".")[0]
    return head if head in LAYERS else None


def _domain(module: str) -> tuple[str, str] | None:
    """(layer, domain) for a module inside a domain package, else None."""
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] in ("schema", "resolvers") and parts[1] in DOMAINS:
        return parts[0], parts[1]
    return None


def test_layers_import_only_the_layers_below_them() -> None:
    # given every import in app/, schema/, resolvers/ and db/
    # when each is checked against the order app -> schema -> resolvers -> db
    upward = [
        f"{item.importer} imports {item.imported}"
        for item in IMPORTS
        if (low := _layer(item.importer)) is not None
        and (high := _layer(item.imported)) is not None
        and LAYERS.index(high) < LAYERS.index(low)
    ]
    # then none goes up
    assert upward == []


@pytest.mark.parametrize("layer", ["schema", "resolvers"])
def test_platform_code_imports_no_domain(layer: str) -> None:
    # given the shared platform package of a layer
    # when its imports are read
    into_domains = [
        f"{item.importer} imports {item.imported}"
        for item in IMPORTS
        if item.importer.startswith(f"{layer}.platform")
        and (_domain(item.imported) or (None, None))[0] == layer
    ]
    # then it depends on no domain of its own layer (domains build on it, not the reverse)
    assert into_domains == []


def test_no_domain_imports_another_domains_private_modules() -> None:
    # given imports that cross from one domain package to another
    crossing = [
        item
        for item in IMPORTS
        if (target := _domain(item.imported)) is not None and _domain(item.importer) != target
    ]
    # when their targets are checked for private (underscored) modules
    private = [
        f"{item.importer} imports {item.imported}"
        for item in crossing
        if any(part.startswith("_") for part in item.imported.split(".")[2:])
    ]
    # then there are none, and the check saw real crossings
    assert crossing
    assert private == []


def test_resolver_domains_depend_on_each_other_without_cycles() -> None:
    # given the module-level imports between resolver domains
    edges: dict[str, set[str]] = {domain: set() for domain in DOMAINS}
    for item in IMPORTS:
        source, target = _domain(item.importer), _domain(item.imported)
        if item.top_level and source and target and source[0] == "resolvers" and source != target:
            edges[source[1]].add(target[1])

    # when they are walked depth first
    def reaches(start: str, goal: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(
            nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt}))
            for nxt in edges[start]
        )

    # then no domain reaches itself
    assert [domain for domain in DOMAINS if reaches(domain, domain)] == []


@pytest.mark.parametrize(
    "module", ["schema.booking.mutations", "resolvers.booking.book", "resolvers.booking.sessions"]
)
def test_a_booking_stays_in_the_booking_packages_and_platform_code(module: str) -> None:
    # given the modules a booking request passes through, root field to SQL
    # (resolvers.loaders is the request's registry of every domain's loaders, named as a type)
    allowed = (
        "schema.booking",
        "schema.platform",
        "resolvers.booking",
        "resolvers.platform",
        "resolvers.loaders",
    )
    # when their imports of this project's code are read
    elsewhere = {
        item.imported
        for item in IMPORTS
        if item.importer == module
        and _layer(item.imported) in ("schema", "resolvers")
        and not item.imported.startswith(allowed)
    }
    # then only the catalogue's is-public rule lies outside (the directory owns "public")
    assert elsewhere <= {"resolvers.catalogue.doctors"}
