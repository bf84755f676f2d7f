"""Models and migrations agree; migrations run forwards and backwards; SQLite pragmas are on."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from kefu.store import Store, current_revision, head_revision, migrate, open_store
from kefu.store.migrate import VERSION_TABLE, downgrade
from kefu.store.models import Base


def test_models_match_migrations(store: Store) -> None:
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE, "compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations differ, add a revision: {diff}"
    assert current_revision(store.engine) == head_revision()


def test_every_model_table_is_created(store: Store) -> None:
    names = set(inspect(store.engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= names
    assert VERSION_TABLE in names


def test_migrate_is_idempotent_and_reversible(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    assert migrate(url) == head_revision()
    assert migrate(url) == head_revision()
    assert downgrade(url, "base") is None
    s = Store(url)
    assert current_revision(s.engine) is None
    assert "conversations" not in inspect(s.engine).get_table_names()
    assert s.migrate() == head_revision()
    s.close()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    s = open_store(f"sqlite:///{tmp_path / 'p.db'}")
    with s.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        # a message pointing at no conversation is refused by the database itself
        with pytest.raises(Exception, match="FOREIGN KEY"):
            conn.execute(text("INSERT INTO messages (conversation_id, role, text, status, created_at) "
                              "VALUES ('nope', 'customer', 'x', 'complete', '2026-01-01')"))
    s.close()


def test_bad_urls_give_clear_errors() -> None:
    from kefu.errors import ConfigError
    from kefu.store.db import make_engine, normalise_url

    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    with pytest.raises(ConfigError, match="not a database URL"):
        make_engine("not a url")
    with pytest.raises(ConfigError, match="not supported"):
        make_engine("mysql://u@h/db")


def test_an_unreachable_postgres_fails_the_run_instead_of_skipping(monkeypatch: pytest.MonkeyPatch) -> None:
    from kefu.store.testing import database_or_fail

    monkeypatch.setenv("KEFU_TEST_PG_URL", "postgresql://postgres@127.0.0.1:1/postgres")
    with pytest.raises(pytest.fail.Exception, match="PostgreSQL is not reachable"):
        with database_or_fail():
            pass


def test_docstring_examples_hold() -> None:
    import doctest

    import kefu.store.db
    import kefu.store.security

    for module in (kefu.store.db, kefu.store.security):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0
