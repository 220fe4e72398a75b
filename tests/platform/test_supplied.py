"""What the request hands a resolver by keyword: only what the resolver names, keyword-only."""

from __future__ import annotations

from datetime import datetime

from schema.platform.context import SUPPLIED, supplied_to


async def _books(*, session: object, now: datetime, keyring: object, name: str) -> None:
    """A resolver asking for the clock and the keys besides what the client sends."""


async def _positional(session: object, now: datetime) -> None:
    """``now`` as a positional parameter: not something the request fills in."""


def test_a_resolver_gets_the_request_values_it_names_as_keywords() -> None:
    # when
    names = supplied_to(_books)
    # then: the clock and the keys, not the client's own argument nor the session
    assert names == ("now", "keyring")
    assert set(names) <= set(SUPPLIED)


def test_a_positional_parameter_is_never_filled_in() -> None:
    # then
    assert supplied_to(_positional) == ()
