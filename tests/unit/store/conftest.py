"""The store suite runs on SQLite (fast tier) and on a real PostgreSQL (integration + postgres).

The PostgreSQL parametrisation creates one fresh database per test session (kefu.store.testing)
and FAILS when the server is unreachable: CI provides it, and a skipped backend would hide bugs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kefu.store import Store, open_store

BACKENDS = ["sqlite", pytest.param("postgres", marks=[pytest.mark.integration, pytest.mark.postgres])]


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    from kefu.store.testing import database_or_fail

    with database_or_fail() as url:
        yield url


@pytest.fixture(scope="session")
def pg_store(pg_url: str) -> Iterator[Store]:
    store = open_store(pg_url)
    yield store
    store.close()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty store on each backend."""
    if request.param == "sqlite":
        s = open_store(f"sqlite:///{tmp_path / 'kefu.db'}")
        yield s
        s.close()
    else:
        from kefu.store.testing import truncate_all

        s = request.getfixturevalue("pg_store")
        truncate_all(s.engine)
        yield s
