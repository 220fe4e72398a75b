"""The session day's loaders: a session's board by (schedule id, date)."""

from __future__ import annotations

from resolvers.live.board import Board, BoardKey, read_boards
from resolvers.platform.loading import SessionLoader


class BoardBySessionLoader(SessionLoader[BoardKey, Board | None]):
    """Boards of sessions (column rows and live rows): four statements a batch, any size."""

    async def batch_load_fn(self, keys: list[BoardKey]) -> list[Board | None]:
        async with self.db.use() as session:
            return await read_boards(session, keys)
