"""Engines for the store: SQLite (WAL, foreign keys on) by default, PostgreSQL by URL.

``make_engine("sqlite:///path/kefu.db")`` or ``make_engine("postgresql+psycopg://user@host/db")``.
Limits: only SQLite and PostgreSQL (psycopg 3) are tested; an in-memory SQLite URL works for
one connection only (it uses a static pool), so prefer a file in tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from kefu.errors import ConfigError


def normalise_url(url: str) -> str:
    """Accept the spellings people use: ``postgres://`` / ``postgresql://`` mean psycopg 3.

    >>> normalise_url("postgresql://u@h/db")
    'postgresql+psycopg://u@h/db'
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, *, echo: bool = False, pool_size: int = 5, max_overflow: int = 10,
                pool_timeout_s: float = 30.0, pool_recycle_s: int = 1800,
                sqlite_busy_timeout_ms: int = 5000) -> Engine:
    """Create an engine with kefu's per-backend settings (see module docstring)."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise ConfigError(f"store url {url!r} is not a database URL",
                          hint="use sqlite:///path/kefu.db or postgresql+psycopg://user@host/db") from e
    backend = parsed.get_backend_name()
    kwargs: dict[str, Any] = {"echo": echo}
    if backend == "sqlite":
        memory = parsed.database in (None, "", ":memory:")
        if not memory:
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": sqlite_busy_timeout_ms / 1000}
        if memory:
            kwargs["poolclass"] = StaticPool
    elif backend == "postgresql":
        # UTC sessions: date() bucketing in analytics is then the same on both backends
        kwargs.update(pool_size=pool_size, max_overflow=max_overflow, pool_timeout=pool_timeout_s,
                      pool_recycle=pool_recycle_s, pool_pre_ping=True,
                      connect_args={"options": "-c timezone=UTC"})
    else:
        raise ConfigError(f"store backend {backend!r} is not supported",
                          hint="use sqlite:///path/kefu.db or postgresql+psycopg://user@host/db")
    engine = create_engine(url, **kwargs)
    if backend == "sqlite":
        _sqlite_pragmas(engine, sqlite_busy_timeout_ms)
    return engine


def _sqlite_pragmas(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        # WAL: readers never block the writer, and a crash loses no committed transaction
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed message survives even a power cut (one fsync per commit; cheap at chat rates)
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.close()
