from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    from kefu.store.testing import database_or_fail

    with database_or_fail() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty, migrated database on each backend."""
    from kefu.store import open_store
    from kefu.store.testing import truncate_all

    url = f"sqlite:///{tmp_path / 'kefu.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    store = open_store(url)
    truncate_all(store.engine)
    store.close()
    return url
