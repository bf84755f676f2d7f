"""The Store's shared plumbing: engine, transactions, lookups and argument checks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Self, TypeVar

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from kefu.errors import InvalidRequestError

M = TypeVar("M")


class NotFoundError(InvalidRequestError):
    """A conversation, message, ticket, agent, ... id that the store does not hold."""

    status = 404
    code = "not_found"


class StoreCore:
    """Holds the engine; every public Store method runs in its own short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._sqlite = engine.dialect.name == "sqlite"

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def _tx(self, write: bool = True) -> Iterator[Session]:
        """A transaction, committed on success and rolled back on error."""
        with self._sessions.begin() as s:
            if write and self._sqlite:
                # Take SQLite's write lock up front: a deferred transaction that reads and then
                # writes can fail with "database is locked" without waiting for busy_timeout.
                s.execute(text("BEGIN IMMEDIATE"))
            yield s

    def _get(self, s: Session, model: type[M], key: Any, what: str) -> M:
        row = s.get(model, key)
        if row is None:
            raise NotFoundError(f"{what} {key!r} not found", param=what.replace(" ", "_") + "_id")
        return row

    @staticmethod
    def _check(value: str, allowed: tuple[str, ...], field: str) -> str:
        if value not in allowed:
            raise InvalidRequestError(f"{field} must be one of {', '.join(allowed)}; got {value!r}", param=field)
        return value

    def ping(self) -> None:
        """Raise if the database cannot be reached (for health checks)."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def close(self) -> None:
        """Release every pooled connection (the Store must not be used afterwards)."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
