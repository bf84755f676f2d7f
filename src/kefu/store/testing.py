"""Test helpers for running the store (or anything on it) against a real PostgreSQL.

``temporary_database()`` creates a uniquely named database on the server named by
``KEFU_TEST_PG_URL`` (default: the local server, user postgres, trust auth) and drops it on exit.
It raises when the server is unreachable: callers decide (kefu's own tests FAIL then, never skip).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

from kefu.store.models import Base

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin_url() -> str:
    return os.environ.get("KEFU_TEST_PG_URL", DEFAULT_ADMIN_URL)


@contextmanager
def temporary_database(prefix: str = "kefu_test") -> Iterator[str]:
    """Yield a SQLAlchemy URL (postgresql+psycopg://...) of a fresh database; drop it afterwards."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    base = admin_url().replace("postgresql+psycopg://", "postgresql://")
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    params = conninfo_to_dict(base)
    user = params.get("user", "postgres")
    password = f":{params['password']}" if params.get("password") else ""
    url = (f"postgresql+psycopg://{user}{password}@{params.get('host', '127.0.0.1')}:"
           f"{params.get('port', 5432)}/{name}")
    try:
        yield url
    finally:
        with psycopg.connect(make_conninfo(base), autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def truncate_all(engine: Engine) -> None:
    """Empty every store table (and reset ids) between tests on a shared database."""
    tables = [t.name for t in Base.metadata.sorted_tables]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for t in reversed(tables):
                conn.execute(text(f"DELETE FROM {t}"))


@contextmanager
def database_or_fail() -> Iterator[str]:
    """:func:`temporary_database` for pytest fixtures: an unreachable server FAILS the test run
    (a skipped backend would hide bugs; CI provides the server)."""
    import pytest

    database = temporary_database()
    try:
        url = database.__enter__()
    except Exception as e:  # noqa: BLE001 - any connection problem must fail loudly, never skip
        pytest.fail(f"PostgreSQL is not reachable at {admin_url()} ({e}); start it or set KEFU_TEST_PG_URL")
    try:
        yield url
    finally:
        database.__exit__(None, None, None)
