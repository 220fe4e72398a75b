"""The per-request GraphQL context: the guarded session, fresh loaders, the clock, the settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info as StrawberryInfo

from db.session import RequestSession
from resolvers.clock import Clock
from resolvers.loaders import Loaders
from settings import Settings


@dataclass
class Context:
    request: Request
    response: Response
    db: RequestSession
    loaders: Loaders
    clock: Clock
    settings: Settings


Info: TypeAlias = StrawberryInfo[Context, None]
