"""Request budgets: how much of its budget each client has spent, shared by every worker."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base


class RequestBudget(Base):
    """One client's budget as a GCRA cell: spent up to ``full_at``, whole again from then on.

    UNLOGGED: a budget is written on nearly every request and is worth nothing after a
    crash (PostgreSQL empties the table then, and every client starts with a whole
    budget), so it skips the write-ahead log. No index on ``full_at``: it changes on
    every write, and without an index those writes stay HOT updates; the occasional
    prune reads the whole (small) table.
    """

    __tablename__ = "request_budgets"
    __table_args__ = {"prefixes": ["UNLOGGED"]}

    # "address:<ip>" or "account:<id>" (resolvers/platform/budgets.py).
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    full_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
