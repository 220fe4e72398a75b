"""The committed schema.graphql is exactly what the code serves."""

from __future__ import annotations

from pathlib import Path

from schema import schema

SDL = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_committed_sdl_matches_the_code() -> None:
    # given
    committed = SDL.read_text()
    # when
    exported = schema.as_str() + "\n"
    # then
    assert committed == exported, (
        "schema.graphql is stale: run `make schema` (python manage.py export-schema) and commit it"
    )
